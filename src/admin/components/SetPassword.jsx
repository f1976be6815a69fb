// UserAdmin's "change password" form: two entries, written as a Django pbkdf2_sha256 hash.
import React from 'react';
import { ApiClient, useNotice } from 'adminjs';
import { Box, Button, FormGroup, H3, Input, Label, Text } from '@adminjs/design-system';

const SetPassword = (props) => {
  const { resource, record } = props;
  const [password1, setPassword1] = React.useState('');
  const [password2, setPassword2] = React.useState('');
  const [errors, setErrors] = React.useState({});
  const [busy, setBusy] = React.useState(false);
  const addNotice = useNotice();

  const submit = (event) => {
    event.preventDefault();
    setBusy(true);
    const data = new FormData();
    data.set('password1', password1);
    data.set('password2', password2);
    new ApiClient()
      .recordAction({ resourceId: resource.id, recordId: record.id, actionName: 'setPassword', data })
      .then((res) => {
        setBusy(false);
        if (res.data.notice) addNotice(res.data.notice);
        setErrors((res.data.record && res.data.record.errors) || {});
        if (res.data.redirectUrl) window.location.assign(res.data.redirectUrl);
      })
      .catch(() => {
        setBusy(false);
        addNotice({ message: 'The password could not be changed.', type: 'error' });
      });
  };

  const err = (name) =>
    errors[name] ? (
      <Text color="error" mt="sm">
        {errors[name].message}
      </Text>
    ) : null;
  return (
    <Box as="form" variant="container" onSubmit={submit}>
      <H3>Change password: {record.title}</H3>
      <FormGroup>
        <Label htmlFor="password1" required>
          Password
        </Label>
        <Input
          id="password1"
          name="password1"
          type="password"
          autoComplete="new-password"
          value={password1}
          onChange={(e) => setPassword1(e.target.value)}
        />
        {err('password1')}
      </FormGroup>
      <FormGroup>
        <Label htmlFor="password2" required>
          Password (again)
        </Label>
        <Input
          id="password2"
          name="password2"
          type="password"
          autoComplete="new-password"
          value={password2}
          onChange={(e) => setPassword2(e.target.value)}
        />
        {err('password2')}
      </FormGroup>
      <Button type="submit" variant="contained" disabled={busy}>
        Change password
      </Button>
    </Box>
  );
};

export default SetPassword;
