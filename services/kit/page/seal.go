package page

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync/atomic"
)

// Tokens are sealed (AES-GCM): the keyset values they carry are the last
// record's sort key and identifier, which can be a citizen ID number, and a
// caller must learn nothing from a token it could not read in the page
// itself. Every process of a deployment seals with a key derived from the
// cluster key (SetKey), so that a page fetched from one replica continues
// on another; until then a random key of the process's own is used.
var aead atomic.Pointer[cipher.AEAD]

func init() {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic("page: no randomness for the token key: " + err.Error())
	}
	SetKey(k)
}

// SetKey makes tokens sealed with a key derived from secret; processes
// sharing secret read each other's tokens.
func SetKey(secret []byte) {
	h := sha256.New()
	h.Write([]byte("zhbase page tokens:"))
	h.Write(secret)
	block, err := aes.NewCipher(h.Sum(nil))
	if err != nil {
		panic("page: " + err.Error())
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic("page: " + err.Error())
	}
	aead.Store(&g)
}

// Encode returns an opaque, URL-safe token (base64url without padding)
// carrying t and bound to query, sealed so that only this deployment can
// read it.
//
// query must identify everything that shapes the result set except
// page_size and page_token: include the method or collection name, parent,
// filter, order_by and any other parameters, so a token cannot be replayed
// against a different List either. Encode always returns a non-empty
// token; return an empty next_page_token yourself when there are no more
// rows.
func Encode(query string, t Token) string {
	plain := marshal(query, t)
	g := *aead.Load()
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(plain)+g.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("page: no randomness for a token nonce: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, plain, nil))
}

// Decode parses a token made by Encode for the same query. An empty token
// is the first page: zero Token, nil error. Every failure wraps
// ErrInvalidToken.
func Decode(query, token string) (Token, error) {
	if token == "" {
		return Token{}, nil
	}
	sealed, err := unbase64(token)
	if err != nil {
		return Token{}, err
	}
	g := *aead.Load()
	if len(sealed) < g.NonceSize()+g.Overhead() {
		return Token{}, errMalformed
	}
	plain, err := g.Open(nil, sealed[:g.NonceSize()], sealed[g.NonceSize():], nil)
	if err != nil {
		return Token{}, errMalformed
	}
	return unmarshal(query, plain)
}
