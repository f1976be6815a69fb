// Show / list widget of a file field: the stored name, linked to its URL.
import React from 'react';
import { Box, Label, Text } from '@adminjs/design-system';

const FileShow = (props) => {
  const { property, record, where } = props;
  const value = record.params[property.path];
  const url = record.params[`${property.path}__url`];
  const link = value ? (
    <a href={url || '#'} target="_blank" rel="noreferrer">
      {value}
    </a>
  ) : (
    <Text>-</Text>
  );
  if (where === 'list') return link;
  return (
    <Box mb="xl">
      <Label>{(property.props && property.props.label) || property.label}</Label>
      {link}
    </Box>
  );
};

export default FileShow;
