package payments

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/audit"
	"cartera/portal/store"
	"cartera/tenants"
)

// Providers a tenant can configure as its own gateway.
const (
	ProviderStripe = "stripe"
	ProviderWompi  = "wompi"
)

// StripeKeys are a client company's own Stripe account keys.
type StripeKeys struct {
	SecretKey     string `json:"secretKey"`
	WebhookSecret string `json:"webhookSecret"`
}

// WompiKeys are a client company's own Wompi keys (Wompi dashboard,
// Desarrolladores: public and private keys, events and integrity secrets).
type WompiKeys struct {
	PublicKey       string `json:"publicKey"`
	PrivateKey      string `json:"privateKey"`
	EventsSecret    string `json:"eventsSecret"`
	IntegritySecret string `json:"integritySecret"`
}

// GatewayConfig is what a tenant saves: its provider and that provider's keys.
type GatewayConfig struct {
	Provider string
	Stripe   StripeKeys
	Wompi    WompiKeys
}

// GatewayInfo is what may be shown of a tenant's gateway: which provider,
// whether each key is set and its last four characters, never a secret.
type GatewayInfo struct {
	Provider   string            `json:"provider"` // "" when the tenant has none (the global gateway applies)
	Configured bool              `json:"configured"`
	Test       bool              `json:"test"` // test/sandbox keys
	Keys       map[string]string `json:"keys"` // key name -> "…last4"
	UpdatedAt  *time.Time        `json:"updatedAt,omitempty"`
}

// gatewayDoc is a tenant's stored gateway. _id is "<tenant>:gateway".
// Sealed is AES-256-GCM (nonce || ciphertext) of the keys' JSON with the
// tenant id as additional data, so a blob copied to another tenant does not
// open.
type gatewayDoc struct {
	ID        string            `bson:"_id"`
	TenantID  string            `bson:"tenantId"`
	Provider  string            `bson:"provider"`
	Sealed    []byte            `bson:"sealed"`
	Hints     map[string]string `bson:"hints"`
	Test      bool              `bson:"test"`
	UpdatedAt time.Time         `bson:"updatedAt"`
	UpdatedBy string            `bson:"updatedBy"`
}

// Credentials keeps each tenant's gateway keys, sealed at rest, and builds
// the tenant's gateway from them.
type Credentials struct {
	db      *store.DB
	audit   *audit.Log
	tenants *tenants.Service
	aead    cipher.AEAD
	// StripeBase overrides Stripe's API URL for tenant gateways (stripe-mock).
	StripeBase string
	// WompiCheckout and WompiAPI override Wompi's URLs (the local fake).
	WompiCheckout, WompiAPI string
	// stored caches each tenant's gateway document, still sealed, for
	// gatewayTTL: every statement and checkout asks which gateway the
	// tenant has. A save here drops the entry at once; a save on another
	// replica is seen within the TTL.
	stored sync.Map // tenant → cachedGateway
}

const gatewayTTL = 5 * time.Second

type cachedGateway struct {
	doc   gatewayDoc
	found bool
	at    time.Time
}

// load reads a tenant's gateway document through the cache; found is
// false when the tenant has none.
func (c *Credentials) load(ctx context.Context, tenant string) (gatewayDoc, bool, error) {
	if v, ok := c.stored.Load(tenant); ok && time.Since(v.(cachedGateway).at) < gatewayTTL {
		return v.(cachedGateway).doc, v.(cachedGateway).found, nil
	}
	var d gatewayDoc
	sc := c.db.Tenant(tenant)
	err := sc.C("gateways").Get(ctx, sc.ID("gateway"), &d)
	found := err == nil
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return gatewayDoc{}, false, err
	}
	c.stored.Store(tenant, cachedGateway{doc: d, found: found, at: time.Now()})
	return d, found, nil
}

// NewCredentials builds the keeper; key is the 32-byte sealing key.
func NewCredentials(db *store.DB, a *audit.Log, t *tenants.Service, key []byte, stripeBase, wompiCheckout, wompiAPI string) (*Credentials, error) {
	if len(key) != 32 {
		return nil, errors.New("gateway credentials: the sealing key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("gateway credentials: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gateway credentials: %w", err)
	}
	return &Credentials{db: db, audit: a, tenants: t, aead: aead, StripeBase: stripeBase, WompiCheckout: wompiCheckout, WompiAPI: wompiAPI}, nil
}

func (c *Credentials) seal(tenant string, plain []byte) ([]byte, error) {
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return c.aead.Seal(nonce, nonce, plain, []byte(tenant)), nil
}

func (c *Credentials) open(tenant string, sealed []byte) ([]byte, error) {
	n := c.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("open: sealed keys too short")
	}
	plain, err := c.aead.Open(nil, sealed[:n], sealed[n:], []byte(tenant))
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	return plain, nil
}

// canManage: the BPO's admins and managers of the tenant, and the client
// company's own users (it is their account the money goes to).
func canManage(a actor.Actor, tenant string) bool {
	if !a.Member(tenant) {
		return false
	}
	return a.Role == tenants.RoleAdmin || a.Role == tenants.RoleManager || a.Role == tenants.RoleClient
}

// Put validates and stores a tenant's gateway, replacing any before it.
// The keys are sealed before they reach the store and never returned.
func (c *Credentials) Put(ctx context.Context, tenant string, cfg GatewayConfig) error {
	a := actor.From(ctx)
	if !canManage(a, tenant) {
		return apperr.ErrNotFound
	}
	t, err := c.tenants.TenantByID(ctx, tenant)
	if err != nil {
		return err
	}
	var keys any
	hints := map[string]string{}
	test := false
	f := apperr.Fields{}
	switch cfg.Provider {
	case ProviderStripe:
		k := cfg.Stripe
		if !strings.HasPrefix(k.SecretKey, "sk_") && !strings.HasPrefix(k.SecretKey, "rk_") {
			f.Add("secretKey", "la llave secreta de Stripe empieza por sk_ o rk_")
		}
		if !strings.HasPrefix(k.WebhookSecret, "whsec_") {
			f.Add("webhookSecret", "el secreto de webhook de Stripe empieza por whsec_")
		}
		keys, test = k, strings.Contains(k.SecretKey, "_test_")
		hints["secretKey"], hints["webhookSecret"] = last4(k.SecretKey), last4(k.WebhookSecret)
	case ProviderWompi:
		k := cfg.Wompi
		if t.Currency != "COP" {
			f.Add("provider", "Wompi cobra en pesos colombianos: solo para clientes de Colombia")
		}
		if !strings.HasPrefix(k.PublicKey, "pub_") {
			f.Add("publicKey", "la llave pública de Wompi empieza por pub_")
		}
		if !strings.HasPrefix(k.PrivateKey, "prv_") {
			f.Add("privateKey", "la llave privada de Wompi empieza por prv_")
		}
		if len(k.EventsSecret) < 8 {
			f.Add("eventsSecret", "falta el secreto de eventos de Wompi")
		}
		if len(k.IntegritySecret) < 8 {
			f.Add("integritySecret", "falta el secreto de integridad de Wompi")
		}
		keys, test = k, strings.HasPrefix(k.PublicKey, "pub_test_")
		hints["publicKey"], hints["privateKey"] = last4(k.PublicKey), last4(k.PrivateKey)
		hints["eventsSecret"], hints["integritySecret"] = last4(k.EventsSecret), last4(k.IntegritySecret)
	default:
		f.Add("provider", "use stripe o wompi")
	}
	if err := f.Err(); err != nil {
		return err
	}
	plain, err := json.Marshal(keys)
	if err != nil {
		return fmt.Errorf("gateway keys: %w", err)
	}
	sealed, err := c.seal(tenant, plain)
	if err != nil {
		return err
	}
	sc := c.db.Tenant(tenant)
	doc := gatewayDoc{ID: sc.ID("gateway"), TenantID: tenant, Provider: cfg.Provider, Sealed: sealed, Hints: hints, Test: test,
		UpdatedAt: time.Now().UTC(), UpdatedBy: a.UserID}
	_, err = sc.C("gateways").Upsert(ctx, doc.ID, setDoc(doc))
	c.stored.Delete(tenant)
	if err != nil {
		return fmt.Errorf("save gateway: %w", err)
	}
	_ = c.audit.Record(ctx, tenant, "gateway.configured", doc.ID, map[string]any{"provider": cfg.Provider, "test": test})
	return nil
}

func setDoc(d gatewayDoc) bson.D {
	return bson.D{{Key: "$set", Value: bson.D{{Key: "provider", Value: d.Provider}, {Key: "sealed", Value: d.Sealed}, {Key: "hints", Value: d.Hints},
		{Key: "test", Value: d.Test}, {Key: "updatedAt", Value: d.UpdatedAt}, {Key: "updatedBy", Value: d.UpdatedBy}}}}
}

// Delete removes a tenant's gateway: the global gateway applies again.
func (c *Credentials) Delete(ctx context.Context, tenant string) error {
	if !canManage(actor.From(ctx), tenant) {
		return apperr.ErrNotFound
	}
	sc := c.db.Tenant(tenant)
	err := sc.C("gateways").Delete(ctx, sc.ID("gateway"))
	c.stored.Delete(tenant)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return err
	}
	_ = c.audit.Record(ctx, tenant, "gateway.removed", sc.ID("gateway"), nil)
	return nil
}

// Info says which gateway a tenant has, with masked key hints only.
func (c *Credentials) Info(ctx context.Context, tenant string) (GatewayInfo, error) {
	if !canManage(actor.From(ctx), tenant) {
		return GatewayInfo{}, apperr.ErrNotFound
	}
	var d gatewayDoc
	sc := c.db.Tenant(tenant)
	if err := sc.C("gateways").Get(ctx, sc.ID("gateway"), &d); errors.Is(err, apperr.ErrNotFound) {
		return GatewayInfo{Keys: map[string]string{}}, nil
	} else if err != nil {
		return GatewayInfo{}, err
	}
	at := d.UpdatedAt
	return GatewayInfo{Provider: d.Provider, Configured: true, Test: d.Test, Keys: d.Hints, UpdatedAt: &at}, nil
}

// config opens a tenant's stored keys; ok is false when it has none.
func (c *Credentials) config(ctx context.Context, tenant string) (GatewayConfig, bool, error) {
	d, found, err := c.load(ctx, tenant)
	if err != nil || !found {
		return GatewayConfig{}, false, err
	}
	plain, err := c.open(tenant, d.Sealed)
	if err != nil {
		return GatewayConfig{}, false, fmt.Errorf("gateway of %s: %w", tenant, err)
	}
	cfg := GatewayConfig{Provider: d.Provider}
	switch d.Provider {
	case ProviderStripe:
		err = json.Unmarshal(plain, &cfg.Stripe)
	case ProviderWompi:
		err = json.Unmarshal(plain, &cfg.Wompi)
	default:
		err = fmt.Errorf("unknown provider %q", d.Provider)
	}
	if err != nil {
		return GatewayConfig{}, false, fmt.Errorf("gateway of %s: %w", tenant, err)
	}
	return cfg, true, nil
}

// Gateway builds the tenant's own gateway; nil when it has none.
func (c *Credentials) Gateway(ctx context.Context, tenant string) (Gateway, error) {
	cfg, ok, err := c.config(ctx, tenant)
	if err != nil || !ok {
		return nil, err
	}
	if cfg.Provider == ProviderWompi {
		return NewWompi(cfg.Wompi, c.WompiCheckout, c.WompiAPI), nil
	}
	return NewStripe(cfg.Stripe.SecretKey, c.StripeBase), nil
}

// StripeWebhookSecret is the tenant's own Stripe webhook secret ("" if none).
func (c *Credentials) StripeWebhookSecret(ctx context.Context, tenant string) (string, error) {
	cfg, ok, err := c.config(ctx, tenant)
	if err != nil || !ok || cfg.Provider != ProviderStripe {
		return "", err
	}
	return cfg.Stripe.WebhookSecret, nil
}

// WompiEventsSecret is the tenant's Wompi events secret ("" if none).
func (c *Credentials) WompiEventsSecret(ctx context.Context, tenant string) (string, error) {
	cfg, ok, err := c.config(ctx, tenant)
	if err != nil || !ok || cfg.Provider != ProviderWompi {
		return "", err
	}
	return cfg.Wompi.EventsSecret, nil
}

func last4(s string) string {
	if len(s) <= 4 {
		return "…"
	}
	return "…" + s[len(s)-4:]
}
