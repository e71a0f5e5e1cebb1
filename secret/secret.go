// Package secret generates API keys and invite tokens, hashes them for
// storage, and seals invite tokens with the server key so that queued emails
// can carry the link while the database holds no plain token.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hiretrack/hiretrack"
)

// TokenBytes is the size of an invite token and of the random part of an
// API key: 256 bits, above the 128 bits an unguessable link needs.
const TokenBytes = 32

// KeyPrefixLen is how many leading characters of an API key are stored in
// the clear so that logs and lists can name a key without revealing it.
const KeyPrefixLen = 12

// apiKeyPrefix marks hiretrack keys, so secret scanners and people can tell
// them apart from other credentials.
const apiKeyPrefix = "htk_"

// KeySize is the length of the server key in bytes (AES-256).
const KeySize = 32

// NewToken returns a random URL-safe token.
func NewToken() (string, error) {
	b := make([]byte, TokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewAPIKey returns a new API key and its stored form.
func NewAPIKey() (string, hiretrack.NewKey, error) {
	token, err := NewToken()
	if err != nil {
		return "", hiretrack.NewKey{}, err
	}

	key := apiKeyPrefix + token
	return key, hiretrack.NewKey{Prefix: key[:KeyPrefixLen], Hash: Hash(key)}, nil
}

// Hash returns the stored form of a secret. A plain SHA-256 is enough
// because every secret hashed here has 256 random bits, so there is nothing
// to guess that a slow hash would protect.
func Hash(s string) hiretrack.SecretHash {
	sum := sha256.Sum256([]byte(s))
	return hiretrack.SecretHash(hex.EncodeToString(sum[:]))
}

// Redact returns the first characters of a token for logs.
func Redact(token string) string {
	if len(token) <= 6 {
		return "***"
	}
	return token[:6] + "…"
}

// Sealer encrypts and decrypts invite tokens with AES-256-GCM.
type Sealer struct {
	aead    cipher.AEAD
	formKey []byte // signs form tokens; see formtoken.go
}

// NewSealer returns a Sealer for a KeySize-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("server key is %d bytes, want %d", len(key), KeySize)
	}

	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("create cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("create GCM: %w", err)
	}
	return &Sealer{aead: aead, formKey: deriveFormKey(key)}, nil
}

// Seal encrypts a token. The output starts with the random nonce.
func (s *Sealer) Seal(token string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("read random nonce: %w", err)
	}
	return s.aead.Seal(nonce, nonce, []byte(token), nil), nil
}

// Open decrypts what Seal returned. It fails when the server key changed.
func (s *Sealer) Open(sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed token is too short")
	}

	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", fmt.Errorf("open sealed token (was the server key changed?): %w", err)
	}
	return string(plain), nil
}

// NewInviteToken returns a new invite token and its stored form.
func (s *Sealer) NewInviteToken() (string, hiretrack.NewToken, error) {
	token, err := NewToken()
	if err != nil {
		return "", hiretrack.NewToken{}, err
	}

	sealed, err := s.Seal(token)
	if err != nil {
		return "", hiretrack.NewToken{}, err
	}
	return token, hiretrack.NewToken{Hash: Hash(token), Sealed: sealed}, nil
}

// ParseKey decodes a server key given as 64 hex characters.
func ParseKey(text string) ([]byte, error) {
	key, err := hex.DecodeString(strings.TrimSpace(text))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("server key must be %d hex characters", 2*KeySize)
	}
	return key, nil
}

// LoadOrCreateKey reads the server key from path, or writes a new random
// key there with mode 0600 when the file does not exist.
func LoadOrCreateKey(path string) (key []byte, created bool, err error) {
	text, err := os.ReadFile(path)
	if err == nil {
		key, err := ParseKey(string(text))
		if err != nil {
			return nil, false, fmt.Errorf("read %s: %w", path, err)
		}
		return key, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("read server key: %w", err)
	}

	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, false, fmt.Errorf("read random key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("create key folder: %w", err)
	}
	// O_EXCL makes a second server starting at the same moment fail here
	// instead of overwriting the key the first one already uses.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("create server key: %w", err)
	}
	defer f.Close()

	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		return nil, false, fmt.Errorf("write server key: %w", err)
	}
	return key, true, f.Close()
}
