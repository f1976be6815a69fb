// The original's read-only MessageInline on a room: sender, type, content preview, time, deleted.
import React from 'react';
import { Box, Label, Table, TableHead, TableBody, TableRow, TableCell, Text } from '@adminjs/design-system';

const RoomMessages = (props) => {
  const { record, property } = props;
  let rows = [];
  try {
    rows = JSON.parse(record.params[property.path] || '[]');
  } catch (e) {
    rows = [];
  }
  return (
    <Box mb="xl">
      <Label>{property.label}</Label>
      {rows.length === 0 ? (
        <Text>No messages.</Text>
      ) : (
        <Table>
          <TableHead>
            <TableRow>
              <TableCell>Sender</TableCell>
              <TableCell>Message type</TableCell>
              <TableCell>Content</TableCell>
              <TableCell>Created at</TableCell>
              <TableCell>Is deleted</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((m) => (
              <TableRow key={m.id}>
                <TableCell>{m.sender}</TableCell>
                <TableCell>{m.message_type}</TableCell>
                <TableCell>{m.content}</TableCell>
                <TableCell>{m.created_at}</TableCell>
                <TableCell>{m.is_deleted ? 'yes' : 'no'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Box>
  );
};

export default RoomMessages;
