package main

// otpKey is the secret consumers' SMS codes are hashed under and their
// tracking cookies signed with (derived keys): WEIQUAN_OTP_KEY, else a key
// generated once in the data directory. Instances sharing a MongoDB must
// share it (set WEIQUAN_OTP_KEY): a code issued by one is checked by
// another.
func (a *app) otpKey() ([]byte, error) {
	if a.cfg.OTPKey != "" {
		return []byte(a.cfg.OTPKey), nil
	}
	return a.dataDirKey("otp.key", "the key of consumers' SMS codes",
		"delete it and restart (codes sent before then stop working)")
}
