// Edit widget of a file field (CloudinaryField / FileField): the current value with a link and a
// "clear" box, and a file input whose File goes into the multipart form AdminJS posts.
import React from 'react';
import { Box, FormGroup, Label, CheckBox, Text } from '@adminjs/design-system';

const FileEdit = (props) => {
  const { property, record, onChange } = props;
  const original = React.useRef(record.params[property.path]);
  const current = original.current;
  const url = record.params[`${property.path}__url`];
  const [cleared, setCleared] = React.useState(false);
  return (
    <FormGroup>
      <Label required={property.isRequired}>{(property.props && property.props.label) || property.label}</Label>
      {typeof current === 'string' && current ? (
        <Box mb="default">
          <Text>
            Currently:{' '}
            <a href={url || '#'} target="_blank" rel="noreferrer">
              {current}
            </a>
          </Text>
          {!property.isRequired ? (
            <Box mt="sm">
              <CheckBox
                id={`${property.path}-clear`}
                checked={cleared}
                onChange={() => {
                  setCleared(!cleared);
                  onChange(property.path, cleared ? current : null);
                }}
              />
              <Label inline htmlFor={`${property.path}-clear`} ml="default">
                Clear
              </Label>
            </Box>
          ) : null}
        </Box>
      ) : null}
      <input
        type="file"
        name={property.path}
        data-testid={`file-${property.path}`}
        onChange={(e) => {
          const file = e.target.files && e.target.files[0];
          onChange(property.path, file || current || null);
        }}
      />
      {record.errors && record.errors[property.path] ? (
        <Text color="error" mt="sm">
          {record.errors[property.path].message}
        </Text>
      ) : null}
    </FormGroup>
  );
};

export default FileEdit;
