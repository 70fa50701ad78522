// Package webhook is what both ends of a zhbase subscription agree on: the
// body of a delivery, its headers, and the HMAC signature over them. The
// exchange platform signs with it; a department's application verifies with
// it. It is written to be read and copied by an app developer: standard
// library only, nothing zhbase-specific beyond the format.
//
// A delivery is a POST with the JSON body
//
//	{"subscription":"subscriptions/{id}","registry":"legalentity","sequence":42,"event":{...}}
//
// and the headers
//
//	Content-Type:       application/json
//	Zhbase-Delivery-Id: {subscription id}:{sequence}
//	Zhbase-Timestamp:   {Unix seconds when the attempt was signed}
//	Zhbase-Signature:   sha256={hex HMAC-SHA256(secret, timestamp + "." + body)}
//
// The secret is the subscription's secret exactly as CreateSubscription or
// RotateSubscriptionSecret returned it; its ASCII bytes are the HMAC key.
//
// A receiver must
//
//  1. read the raw body (verify before parsing: the signature covers the
//     bytes, not their meaning), with a size limit;
//  2. Verify it, which also refuses a timestamp outside the tolerance, so a
//     captured delivery cannot be replayed later;
//  3. answer 2xx only once the event is durably applied. Deliveries are at
//     least once: a retry after a lost answer, a restarted sender, carries the
//     same Zhbase-Delivery-Id. Record the ids applied, in the same
//     transaction as the event's effect, and answer 2xx to a repeat without
//     applying it again; that makes the whole exactly once.
//
// Events of one subscription arrive in sequence order, one at a time: the
// next is sent only after the previous was acknowledged.
//
// During a secret rotation, try the new secret and then the old one until
// the old one's deliveries have drained.
//
// This package must never log a secret or a body.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a delivery.
const (
	HeaderDeliveryID = "Zhbase-Delivery-Id"
	HeaderTimestamp  = "Zhbase-Timestamp"
	HeaderSignature  = "Zhbase-Signature"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock: long enough for a slow network and modest clock skew,
// short enough that a captured delivery is soon useless.
const DefaultTolerance = 5 * time.Minute

// Event is the body of a delivery.
type Event struct {
	// Subscription is the subscription's resource name, subscriptions/{id}.
	Subscription string `json:"subscription"`
	// Registry names the registry whose feed the event comes from
	// (legalentity, population, spatial, economy, building).
	Registry string `json:"registry"`
	// Sequence is the change's number in the registry's feed.
	Sequence int64 `json:"sequence"`
	// Event is the registry's change event as proto3 JSON, e.g. a
	// zhbase.legalentity.v1.LegalEntityChange.
	Event json.RawMessage `json:"event"`
}

// DeliveryID is the Zhbase-Delivery-Id of the delivery of sequence in the
// subscription with the given id: stable across retries.
func DeliveryID(subscriptionID string, sequence int64) string {
	return subscriptionID + ":" + strconv.FormatInt(sequence, 10)
}

// Sign returns the Zhbase-Signature value of body sent with the timestamp
// header value timestamp.
func Sign(secret []byte, timestamp string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, timestamp, body))
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// SetHeaders sets the headers of a delivery signed at t.
func SetHeaders(h http.Header, secret []byte, deliveryID string, t time.Time, body []byte) {
	ts := strconv.FormatInt(t.Unix(), 10)
	h.Set("Content-Type", "application/json")
	h.Set(HeaderDeliveryID, deliveryID)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, Sign(secret, ts, body))
}

// Errors of Verify; test with errors.Is.
var (
	// ErrMissingHeader: the timestamp or signature header is absent.
	ErrMissingHeader = errors.New("webhook: missing signature header")
	// ErrStale: the timestamp is outside the tolerance (or unreadable).
	ErrStale = errors.New("webhook: timestamp outside tolerance")
	// ErrSignature: the signature does not match the body and secret.
	ErrSignature = errors.New("webhook: signature mismatch")
)

// Verify checks that body and the headers h were signed with secret within
// tolerance of now (DefaultTolerance when tolerance is 0, in either
// direction). The comparison takes constant time.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sig := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if ts == "" || sig == "" {
		return ErrMissingHeader
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not Unix seconds", ErrStale, HeaderTimestamp)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed %s from now, tolerance %s", ErrStale, d.Round(time.Second), tolerance)
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return fmt.Errorf("%w: %s must start with sha256=", ErrSignature, HeaderSignature)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return fmt.Errorf("%w: %s is not hexadecimal", ErrSignature, HeaderSignature)
	}
	if !hmac.Equal(got, mac(secret, ts, body)) {
		return ErrSignature
	}
	return nil
}
