// An object's history page (Django's history_view): the django_admin_log entries for it, oldest first.
import React from 'react';
import { ApiClient } from 'adminjs';
import { Box, H3, Table, TableHead, TableBody, TableRow, TableCell, Text } from '@adminjs/design-system';

const FLAGS = { 1: 'Added.', 3: 'Deleted.' };

function describe(entry) {
  if (entry.action_flag !== 2) return FLAGS[entry.action_flag] || '';
  let parts = [];
  try {
    parts = JSON.parse(entry.change_message || '[]');
  } catch (e) {
    return entry.change_message;
  }
  if (!parts.length) return 'No fields changed.';
  return parts
    .map((p) => {
      if (p.changed) return `Changed ${p.changed.fields.join(', ').replace(/, ([^,]*)$/, ' and $1')}.`;
      if (p.added) return 'Added.';
      if (p.deleted) return 'Deleted.';
      return '';
    })
    .join(' ');
}

const History = (props) => {
  const { resource, record } = props;
  const [entries, setEntries] = React.useState(null);
  React.useEffect(() => {
    new ApiClient()
      .recordAction({ resourceId: resource.id, recordId: record.id, actionName: 'history' })
      .then((res) => setEntries(res.data.history || []))
      .catch(() => setEntries([]));
  }, [resource.id, record.id]);
  return (
    <Box variant="container">
      <H3>Change history: {record.title}</H3>
      {entries === null ? (
        <Text>Loading…</Text>
      ) : entries.length === 0 ? (
        <Text>This object doesn’t have a change history. It probably wasn’t added via this admin site.</Text>
      ) : (
        <Table data-testid="history">
          <TableHead>
            <TableRow>
              <TableCell>Date/time</TableCell>
              <TableCell>User</TableCell>
              <TableCell>Action</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {entries.map((e, i) => (
              <TableRow key={i}>
                <TableCell>{e.action_time}</TableCell>
                <TableCell>{e.user}</TableCell>
                <TableCell>{describe(e)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
};

export default History;
