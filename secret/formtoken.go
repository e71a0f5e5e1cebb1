package secret

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// FormTokenLifetime is how long a form token stays valid after the page
// that carries it was served.
const FormTokenLifetime = 12 * time.Hour

// formMACBytes is the length of the MAC in a form token: 128 bits, as
// much as a forgery would have to guess.
const formMACBytes = 16

// deriveFormKey returns the HMAC key of form tokens. It is derived from the
// server key with a label, so form tokens and sealed tokens never share a key.
func deriveFormKey(serverKey []byte) []byte {
	mac := hmac.New(sha256.New, serverKey)
	mac.Write([]byte("hiretrack form token v1"))
	return mac.Sum(nil)
}

// FormToken returns a token for a page that posts a form, bound to binding,
// such as the hash of an invite token, and valid until now plus
// FormTokenLifetime. It has the form "<unix expiry>.<base64url MAC>".
func (s *Sealer) FormToken(binding string, now time.Time) string {
	expires := strconv.FormatInt(now.Add(FormTokenLifetime).Unix(), 10)
	return expires + "." + base64.RawURLEncoding.EncodeToString(s.formMAC(binding, expires))
}

// The reasons CheckFormToken gives.
var (
	ErrFormTokenMissing = errors.New("the form token is missing")
	ErrFormTokenInvalid = errors.New("the form token is invalid or belongs to another page")
	ErrFormTokenExpired = errors.New("the form token has expired")
)

// CheckFormToken reports whether token was made by FormToken for binding
// and has not expired at now. It compares MACs in constant time.
func (s *Sealer) CheckFormToken(token, binding string, now time.Time) error {
	if token == "" {
		return ErrFormTokenMissing
	}
	expires, encoded, ok := strings.Cut(token, ".")
	given, err := base64.RawURLEncoding.DecodeString(encoded)
	if !ok || err != nil || !hmac.Equal(given, s.formMAC(binding, expires)) {
		return ErrFormTokenInvalid
	}

	unix, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return ErrFormTokenInvalid
	}
	if !now.Before(time.Unix(unix, 0)) {
		return ErrFormTokenExpired
	}
	return nil
}

// formMAC returns the truncated HMAC-SHA256 of binding and expiry. The NUL
// separator keeps two different pairs from joining into the same input.
func (s *Sealer) formMAC(binding, expires string) []byte {
	mac := hmac.New(sha256.New, s.formKey)
	mac.Write([]byte(binding))
	mac.Write([]byte{0})
	mac.Write([]byte(expires))
	return mac.Sum(nil)[:formMACBytes]
}
