// The texts of the original's mails (User/views.py), byte for byte.

/** RegisterAPIView: the generated password. */
export function welcomeMail(u: { first_name: string; last_name: string | null; email: string }, password: string) {
  const last = u.last_name === null ? 'None' : u.last_name;
  return {
    subject: 'Welcome to CSI App! Your Account Details',
    text:
      `Dear ${u.first_name} ${last},\n\n` +
      `Our team warmly welcomes you to an exciting journey of innovation, learning, ` +
      `and collaboration. We're thrilled to have you as part of our community.\n\n` +
      `Here are your account details:\n` +
      `Email: ${u.email}\n` +
      `Password: ${password}\n\n` +
      `Use this password to log in to your account.\n\n` +
      `Warm regards,\n\n` +
      `Team CSI\n` +
      `AKGEC, Ghaziabad\n`,
  };
}

/** ForgotPasswordOTPAPIView */
export function passwordOtpMail(firstName: string, otp: string) {
  return {
    subject: 'Your Password Reset OTP',
    text:
      `Hi ${firstName},\n\nYour OTP for resetting your password is: ${otp}\n\n` +
      `This OTP is valid for 10 minutes.\n\n` +
      `If you did not request this, please ignore this email.`,
  };
}

/** Student registration / resend: the e-mail verification code (csi-chat's wording: no transcript records the original's). */
export function verificationOtpMail(firstName: string, otp: string) {
  return {
    subject: 'Verify your email for CSI App',
    text:
      `Hi ${firstName},\n\nYour OTP for verifying your email is: ${otp}\n\n` +
      `This OTP is valid for 10 minutes.\n\n` +
      `If you did not request this, please ignore this email.`,
  };
}

/**
 * Student registration with the address of an existing account (csi-chat only, issue 13 #8): the owner is
 * told, the caller's answer is a new registration's, nothing is changed.
 */
export function existingAccountMail(firstName: string) {
  return {
    subject: 'Sign-up attempt with your CSI App email',
    text:
      `Hi ${firstName},\n\nSomeone tried to register a student account with this email address, ` +
      `which already belongs to your CSI App account. Nothing was changed.\n\n` +
      `If it was you, log in with your password, or use "Forgot password" to set a new one.\n\n` +
      `If you did not request this, please ignore this email.`,
  };
}
