// Package secret seals the small secrets the server must be able to read
// back: the passwords of remote CalDAV servers it mirrors, and the tokens
// of published calendars. They are encrypted with AES-256-GCM under a key
// that lives outside the database (in the configuration, or in a key file
// in the data directory), so a copy of the database alone does not reveal
// them.
//
// A sealed value names the key that sealed it, so the keyring can hold the
// current key and older ones: rotating means adding a new current key,
// re-sealing every stored value with it, and then dropping the old key.
// Each value is bound to a context (what it is and which row it belongs
// to) as additional data, so a sealed value copied to another row does not
// open there.
package secret

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// version is the first byte of a sealed value.
const version = 1

// ErrNoKey is returned for a value sealed with a key the keyring lacks.
var ErrNoKey = errors.New("secret: sealed with a key that is not configured")

// ErrCorrupt is returned for a value that is not a sealed value, or was
// changed, or belongs to another context.
var ErrCorrupt = errors.New("secret: sealed value does not open")

// Keyring seals with its current key and opens with any of its keys.
type Keyring struct {
	keys []key // keys[0] is current
}

type key struct {
	id   [4]byte
	aead cipher.AEAD
}

// New returns a keyring whose current key is current; previous keys only
// open values sealed before a rotation.
func New(current []byte, previous ...[]byte) (*Keyring, error) {
	k := &Keyring{}
	for i, raw := range append([][]byte{current}, previous...) {
		if len(raw) != KeySize {
			return nil, fmt.Errorf("secret: key %d is %d bytes; keys are %d random bytes", i+1, len(raw), KeySize)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		var id [4]byte
		copy(id[:], sum[:4])
		k.keys = append(k.keys, key{id: id, aead: aead})
	}
	return k, nil
}

// Seal encrypts plain for storage, bound to context.
func (k *Keyring) Seal(plain []byte, context string) []byte {
	cur := k.keys[0]
	out := make([]byte, 0, 1+4+12+len(plain)+16)
	out = append(out, version)
	out = append(out, cur.id[:]...)
	nonce := make([]byte, cur.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	out = append(out, nonce...)
	return cur.aead.Seal(out, nonce, plain, []byte(context))
}

// Open decrypts a sealed value. It returns ErrNoKey or ErrCorrupt.
func (k *Keyring) Open(sealed []byte, context string) ([]byte, error) {
	if len(sealed) < 1+4+12+16 || sealed[0] != version {
		return nil, ErrCorrupt
	}
	for _, key := range k.keys {
		if !bytes.Equal(key.id[:], sealed[1:5]) {
			continue
		}
		ns := key.aead.NonceSize()
		plain, err := key.aead.Open(nil, sealed[5:5+ns], sealed[5+ns:], []byte(context))
		if err != nil {
			return nil, ErrCorrupt
		}
		return plain, nil
	}
	return nil, ErrNoKey
}

// Current reports whether a value is sealed with the current key, so a
// rotation can skip it.
func (k *Keyring) Current(sealed []byte) bool {
	return len(sealed) > 5 && bytes.Equal(sealed[1:5], k.keys[0].id[:])
}

// NewKey returns a fresh random key.
func NewKey() []byte {
	b := make([]byte, KeySize)
	_, _ = rand.Read(b)
	return b
}

// EncodeKey writes a key as text (base64).
func EncodeKey(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// ParseKey reads a key written by EncodeKey (standard or URL base64).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("secret: the key is %d bytes; want %d", len(b), KeySize)
			}
			return b, nil
		}
	}
	return nil, errors.New("secret: the key is not base64")
}

// ParseKeys reads a comma- or newline-separated list of keys; blank
// entries and lines starting with # are skipped.
func ParseKeys(s string) ([][]byte, error) {
	var out [][]byte
	for line := range strings.Lines(s) {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for f := range strings.SplitSeq(line, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			b, err := ParseKey(f)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// LoadFile reads the keys of a key file: one base64 key per line, the
// current key first. A missing file is created with a new key (mode 0600),
// so a single-node server needs no configuration.
func LoadFile(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := NewKey()
		if err := WriteFile(path, [][]byte{k}); err != nil {
			return nil, err
		}
		return [][]byte{k}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	keys, err := ParseKeys(string(data))
	if err != nil {
		return nil, fmt.Errorf("secret: %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("secret: %s holds no key", path)
	}
	return keys, nil
}

// WriteFile writes keys (current first) to a key file, atomically, mode
// 0600.
func WriteFile(path string, keys [][]byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	fmt.Fprintln(w, "# Almanac secret keys: the first seals, all open. Keep this file private and backed up.")
	for _, k := range keys {
		fmt.Fprintln(w, EncodeKey(k))
	}
	_ = w.Flush()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("secret: %w", err)
	}
	return os.Rename(tmp, path)
}
