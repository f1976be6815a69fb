// The original's Domain/views.py.
import { apiView } from '../drf/api.ts';
import { allDomains, usersOfYears } from './queries.ts';
import { domainsByYear, groupByYearAndDomain } from './serializers.ts';

const ALLOWED_YEARS = ['2nd', '3rd'];

/** GET year-wise/ — DomainAndYearWiseUserAPIView (IsAuthenticated): 2nd and 3rd years by domain. */
export const yearWise = apiView({
  name: 'Domain And Year Wise User Api',
  methods: {
    async GET(req) {
      const users = await usersOfYears(req.ctx.db.knex, ALLOWED_YEARS);
      return { body: groupByYearAndDomain(ALLOWED_YEARS, users) };
    },
  },
});

/** GET each-year/ — DomainsByYearAPIView (no permission_classes: the default AllowAny). */
export const eachYear = apiView({
  name: 'Domains By Year Api',
  permission: 'any',
  methods: {
    async GET(req) {
      return { body: domainsByYear(await allDomains(req.ctx.db.knex)) };
    },
  },
});
