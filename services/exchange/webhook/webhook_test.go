package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/exchange/webhook"
)

func TestVerify(t *testing.T) {
	secret := []byte("lO0m4y6QNrGq0a3oXw2c1kq7N9p1nYt0rJbVw8s2Q5E")
	body := []byte(`{"subscription":"subscriptions/1","registry":"legalentity","sequence":7,"event":{}}`)
	sent := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	signed := func() http.Header {
		h := http.Header{}
		webhook.SetHeaders(h, secret, webhook.DeliveryID("1", 7), sent, body)
		return h
	}
	tests := []struct {
		name   string
		secret []byte
		header func() http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"a delivery signed with the secret within the tolerance passes", secret, signed, body, sent.Add(4 * time.Minute), nil},
		{"a receiver clock slightly behind the sender's passes", secret, signed, body, sent.Add(-time.Minute), nil},
		{"a wrong secret fails", []byte("another secret"), signed, body, sent, webhook.ErrSignature},
		{"a tampered body fails", secret, signed, []byte(`{"subscription":"subscriptions/1","registry":"legalentity","sequence":8,"event":{}}`), sent, webhook.ErrSignature},
		{"a stale timestamp fails", secret, signed, body, sent.Add(6 * time.Minute), webhook.ErrStale},
		{"a timestamp from the future fails", secret, signed, body, sent.Add(-6 * time.Minute), webhook.ErrStale},
		{"a timestamp changed after signing fails", secret, func() http.Header {
			h := signed()
			h.Set(webhook.HeaderTimestamp, strconv.FormatInt(sent.Unix()+1, 10))
			return h
		}, body, sent, webhook.ErrSignature},
		{"a signature without its scheme fails", secret, func() http.Header {
			h := signed()
			h.Set(webhook.HeaderSignature, h.Get(webhook.HeaderSignature)[len("sha256="):])
			return h
		}, body, sent, webhook.ErrSignature},
		{"a signature that is not hexadecimal fails", secret, func() http.Header {
			h := signed()
			h.Set(webhook.HeaderSignature, "sha256=zz")
			return h
		}, body, sent, webhook.ErrSignature},
		{"an unreadable timestamp fails", secret, func() http.Header {
			h := signed()
			h.Set(webhook.HeaderTimestamp, "yesterday")
			return h
		}, body, sent, webhook.ErrStale},
		{"an unsigned delivery fails", secret, func() http.Header {
			h := signed()
			h.Del(webhook.HeaderSignature)
			return h
		}, body, sent, webhook.ErrMissingHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := webhook.Verify(tt.secret, tt.header(), tt.body, tt.now, 5*time.Minute)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSetHeadersNamesTheDeliveryAndSignsTheTimestampItSends(t *testing.T) {
	h := http.Header{}
	at := time.Unix(1795000000, 0)
	webhook.SetHeaders(h, []byte("k"), webhook.DeliveryID("0193a1b2", 42), at, []byte("{}"))
	if got := h.Get(webhook.HeaderDeliveryID); got != "0193a1b2:42" {
		t.Errorf("delivery id = %q", got)
	}
	if got := h.Get(webhook.HeaderTimestamp); got != "1795000000" {
		t.Errorf("timestamp = %q", got)
	}
	if got, want := h.Get(webhook.HeaderSignature), webhook.Sign([]byte("k"), "1795000000", []byte("{}")); got != want {
		t.Errorf("signature = %q, want %q", got, want)
	}
	if got := h.Get("Content-Type"); got != "application/json" {
		t.Errorf("content type = %q", got)
	}
}
