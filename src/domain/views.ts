// The original's Domain/views.py.
import { apiView } from '../drf/api.ts';
import { allDomains, usersOfYears } from './queries.ts';
import { domainsByYear, domainsByYearSchema, groupByYearAndDomain, yearWiseSchema } from './serializers.ts';
import { json } from '../drf/openapi.ts';

const ALLOWED_YEARS = ['2nd', '3rd'];

/** GET year-wise/ — DomainAndYearWiseUserAPIView (IsAuthenticated): 2nd and 3rd years by domain. */
export const yearWise = apiView({
  name: 'Domain And Year Wise User Api',
  docs: { GET: { summary: 'The members by year and domain', responses: { 200: json('Members by year and domain', yearWiseSchema) } } },
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
  docs: { GET: { summary: 'Every domain, for each year (no authentication)', responses: { 200: json('Domains by year', domainsByYearSchema) } } },
  permission: 'any',
  methods: {
    async GET(req) {
      return { body: domainsByYear(await allDomains(req.ctx.db.knex)) };
    },
  },
});
