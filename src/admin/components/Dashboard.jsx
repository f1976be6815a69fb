// The admin index, as Django's: the models this user may see, grouped by application, and the
// user's recent actions (django_admin_log).
import React from 'react';
import { ApiClient, useTranslation } from 'adminjs';
import { Box, H2, H5, Link, Text } from '@adminjs/design-system';

const FLAGS = { 1: 'Added', 2: 'Changed', 3: 'Deleted' };

const Dashboard = () => {
  const [recent, setRecent] = React.useState(null);
  const { translateLabel } = useTranslation();
  React.useEffect(() => {
    new ApiClient()
      .getDashboard()
      .then((res) => setRecent(res.data.recent || []))
      .catch(() => setRecent([]));
  }, []);
  const resources = ((window.REDUX_STATE && window.REDUX_STATE.resources) || []).filter((r) => r.href);
  const apps = {};
  resources.forEach((r) => {
    const app = (r.navigation && r.navigation.name) || 'Other';
    apps[app] = apps[app] || [];
    apps[app].push(r);
  });
  return (
    <Box variant="grey" flex flexDirection="row" flexWrap="wrap">
      <Box flexGrow={2} mr="xl" minWidth="320px">
        <H2>Site administration</H2>
        {Object.keys(apps)
          .sort()
          .map((app) => (
            <Box key={app} variant="white" mb="lg" p="lg" data-testid={`app-${app}`}>
              <H5>{app}</H5>
              {apps[app].map((r) => (
                <Box key={r.id} py="sm">
                  <Link href={r.href}>{translateLabel(r.name, r.id)}</Link>
                </Box>
              ))}
            </Box>
          ))}
      </Box>
      <Box flexGrow={1} minWidth="260px">
        <H5 mt="xxl">My actions</H5>
        <Box variant="white" p="lg">
          {recent === null ? (
            <Text>Loading…</Text>
          ) : recent.length === 0 ? (
            <Text>None available</Text>
          ) : (
            recent.map((e, i) => (
              <Box key={i} py="sm">
                <Text>
                  {FLAGS[e.action_flag] || ''} {e.object_repr}
                </Text>
                <Text variant="sm" color="grey60">
                  {e.model}
                </Text>
              </Box>
            ))
          )}
        </Box>
      </Box>
    </Box>
  );
};

export default Dashboard;
