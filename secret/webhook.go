package secret

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// WebhookSecretPrefix starts every webhook signing secret, as the Standard
// Webhooks scheme writes them: "whsec_" and then the base64 of the key bytes.
const WebhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a new signing secret of TokenBytes random bytes
// and the same secret sealed with the server key, the form the store keeps.
func (s *Sealer) NewWebhookSecret() (plain string, sealed []byte, err error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("read random bytes: %w", err)
	}
	plain = WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
	sealed, err = s.Seal(plain)
	if err != nil {
		return "", nil, err
	}
	return plain, sealed, nil
}
