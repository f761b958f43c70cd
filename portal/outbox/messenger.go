package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// HTTPMessenger sends WhatsApp and SMS through a provider's HTTP API:
// POST URL with {"channel","to","body","reference"} and a bearer token; any
// 2xx is delivered.
type HTTPMessenger struct {
	URL    string
	Token  string
	Client *http.Client
}

// Send posts one message.
func (h *HTTPMessenger) Send(ctx context.Context, m Message) error {
	body, _ := json.Marshal(map[string]string{"channel": m.Channel, "to": m.To, "body": m.Body, "reference": m.ID})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if h.Token != "" {
		req.Header.Set("Authorization", "Bearer "+h.Token)
	}
	cl := h.Client
	if cl == nil {
		cl = &http.Client{Timeout: 20 * time.Second}
	}
	res, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("provider answered %d", res.StatusCode)
	}
	return nil
}
