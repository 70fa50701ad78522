package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/zhbase/zhbase/services/exchange/webhook"
)

// A department's receiver: verify, deduplicate on the delivery id, apply,
// and only then answer 2xx. Here the "database" is a map; in an application,
// record the delivery id in the same transaction that applies the event.
func Example() {
	secret := []byte("the secret CreateSubscription returned")

	var mu sync.Mutex
	applied := map[string]bool{} // delivery ids already applied
	var events []webhook.Event

	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), webhook.DefaultTolerance); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var e webhook.Event
		if err := json.Unmarshal(body, &e); err != nil {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		id := r.Header.Get(webhook.HeaderDeliveryID)
		mu.Lock()
		defer mu.Unlock()
		if !applied[id] { // BEGIN; apply e; INSERT id; COMMIT
			events = append(events, e)
			applied[id] = true
		}
		w.WriteHeader(http.StatusNoContent)
	})
	srv := httptest.NewServer(receiver)
	defer srv.Close()

	// What the exchange platform sends; the second POST is a retry after a
	// lost answer.
	body := []byte(`{"subscription":"subscriptions/0193a1b2","registry":"legalentity","sequence":42,"event":{"name":"legalEntities/91330211MA2H4LQX0D"}}`)
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		webhook.SetHeaders(req.Header, secret, webhook.DeliveryID("0193a1b2", 42), time.Now(), body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	fmt.Printf("applied %d event(s): sequence %d of %s\n", len(events), events[0].Sequence, events[0].Registry)
	// Output:
	// 204
	// 204
	// applied 1 event(s): sequence 42 of legalentity
}
