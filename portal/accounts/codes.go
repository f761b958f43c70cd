package accounts

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
	"cartera/tenants"
)

// issuedCode is a new debtor's access code, kept (encrypted) only until the
// manager downloads it once to print on letters.
type issuedCode struct {
	Document string `json:"document"`
	Name     string `json:"name"`
	Code     string `json:"code"`
}

type codesDoc struct {
	ID       string `bson:"_id"`
	TenantID string `bson:"tenantId"`
	Sealed   []byte `bson:"sealed"`
}

func (s *Service) aead() (cipher.AEAD, error) {
	m := hmac.New(sha256.New, s.codeKey)
	m.Write([]byte("import-codes"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// storeCodes seals the new codes of the debtors just written into their
// own chunk, so an interrupted import keeps the codes of the debtors it
// already created. Chunks are numbered from 1 without gaps.
func (rn *run) storeCodes(ctx context.Context) error {
	if len(rn.codes) == 0 {
		return nil
	}
	rn.batchNo++
	defer func() { rn.codes = rn.codes[:0] }()
	plain, err := json.Marshal(rn.codes)
	if err != nil {
		return err
	}
	g, err := rn.s.aead()
	if err != nil {
		return err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	id := fmt.Sprintf("%s:codes:%d", rn.imp.ID, rn.batchNo)
	sealed := g.Seal(nonce, nonce, plain, []byte(rn.imp.ID))
	_, err = rn.sc.C("importrows").Upsert(ctx, id, bson.D{{Key: "$set", Value: bson.D{{Key: "sealed", Value: sealed}}}})
	rn.codeChunks++
	return err
}

// resumeCodes numbers a resumed run's code chunks after those the
// interrupted run sealed, so the codes of the debtors it created stay
// downloadable.
func (rn *run) resumeCodes(ctx context.Context) error {
	for {
		var doc codesDoc
		err := rn.sc.C("importrows").Get(ctx, fmt.Sprintf("%s:codes:%d", rn.imp.ID, rn.batchNo+1), &doc)
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("access codes: %w", err)
		}
		rn.batchNo++
		rn.codeChunks++
	}
}

// TakeAccessCodes returns, once, the CSV of access codes issued to the new
// debtors of an import (managers and admins only); later calls get 404.
func (s *Service) TakeAccessCodes(ctx context.Context, tenant, importID string) ([]byte, error) {
	a := actor.From(ctx)
	if a.Role != tenants.RoleAdmin && a.Role != tenants.RoleManager {
		return nil, forbidden("access codes")
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return nil, err
	}
	imp, err := s.GetImport(ctx, tenant, importID)
	if err != nil {
		return nil, err
	}
	g, err := s.aead()
	if err != nil {
		return nil, err
	}
	var codes []issuedCode
	// Chunks are numbered from 1 without gaps; imports made before
	// 2026-12-07 numbered them by batch, with gaps, at most one per batch.
	gaps := imp.Total/max(1, s.BatchSize) + 2
	for n := 1; ; n++ {
		var doc codesDoc
		err := sc.C("importrows").Take(ctx, fmt.Sprintf("%s:codes:%d", importID, n), &doc)
		if errors.Is(err, apperr.ErrNotFound) {
			if n > gaps {
				break
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if len(doc.Sealed) < g.NonceSize() {
			return nil, errors.New("access codes: damaged")
		}
		plain, err := g.Open(nil, doc.Sealed[:g.NonceSize()], doc.Sealed[g.NonceSize():], []byte(importID))
		if err != nil {
			return nil, fmt.Errorf("access codes: %w", err)
		}
		var part []issuedCode
		if err := json.Unmarshal(plain, &part); err != nil {
			return nil, err
		}
		codes = append(codes, part...)
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("access codes: %w", apperr.ErrNotFound)
	}
	_ = sc.C("imports").Update(ctx, importID, bson.D{{Key: "$set", Value: bson.D{{Key: "codesReady", Value: false}}}})
	_ = s.audit.Record(ctx, tenant, "debtor.codes.export", importID, map[string]any{"count": len(codes)})
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.Comma = ';'
	_ = w.Write([]string{"documento", "nombre", "codigo_acceso"})
	for _, c := range codes {
		_ = w.Write([]string{SafeCell(c.Document), SafeCell(c.Name), c.Code})
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// CodeCourier sends a new access code to the debtor's own verified channel
// (through the outbox), so that whoever asked for it never sees it. The
// queue package implements it.
type CodeCourier interface {
	// CodeChannel is the channel a code for d would go to, "" when d has no
	// verified channel it may be sent on.
	CodeChannel(ctx context.Context, tenant string, d Debtor) (string, error)
	// SendCode queues the message with code to d on channel.
	SendCode(ctx context.Context, tenant string, d Debtor, channel, code string) error
}

// ErrNoVerifiedChannel refuses to send a code to a debtor with no verified
// channel (the catalogue words it: error.no_verified_channel).
var ErrNoVerifiedChannel = &apperr.Refusal{Code: "no_verified_channel"}

// NewDebtorCode issues a new access code for a debtor and returns it, replacing
// the old one (which stops working) and revoking the debtor's sessions.
// Managers and admins may issue one for any debtor of the tenant, a
// collector only for a debtor with an account assigned to them (404
// otherwise, as for reading that debtor). A client company may never see a
// code (it could log in as its debtor): it uses SendDebtorCode.
func (s *Service) NewDebtorCode(ctx context.Context, tenant, document string) (string, error) {
	switch actor.From(ctx).Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleCollector:
	default:
		return "", forbidden("access code")
	}
	sc, d, err := s.codeDebtor(ctx, tenant, document)
	if err != nil {
		return "", err
	}
	code := NewAccessCode()
	if err := s.replaceCode(ctx, sc, d.ID, code); err != nil {
		return "", err
	}
	_ = s.audit.Record(ctx, tenant, "debtor.code", d.ID, map[string]any{"delivery": "shown"})
	return code, nil
}

// SendDebtorCode issues a new access code and sends it to the debtor's own
// verified channel through the outbox; the caller never sees it. It
// returns the channel. A debtor with no verified channel keeps the old code
// (422 no_verified_channel).
func (s *Service) SendDebtorCode(ctx context.Context, tenant, document string) (string, error) {
	switch actor.From(ctx).Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleCollector, tenants.RoleClient:
	default:
		return "", forbidden("access code")
	}
	if s.courier == nil {
		return "", ErrNoVerifiedChannel
	}
	sc, d, err := s.codeDebtor(ctx, tenant, document)
	if err != nil {
		return "", err
	}
	channel, err := s.courier.CodeChannel(ctx, tenant, d)
	if err != nil {
		return "", err
	}
	if channel == "" {
		_ = s.audit.Record(ctx, tenant, "debtor.code.refused", d.ID, map[string]any{"why": "no_verified_channel"})
		return "", ErrNoVerifiedChannel
	}
	code := NewAccessCode()
	if err := s.replaceCode(ctx, sc, d.ID, code); err != nil {
		return "", err
	}
	if err := s.courier.SendCode(ctx, tenant, d, channel, code); err != nil {
		return "", fmt.Errorf("access code: send: %w", err)
	}
	_ = s.audit.Record(ctx, tenant, "debtor.code", d.ID, map[string]any{"delivery": "sent", "channel": channel})
	return channel, nil
}

// codeDebtor reads the debtor a code is issued for, with the collector rule:
// a collector reaches only a debtor with an account assigned to them.
func (s *Service) codeDebtor(ctx context.Context, tenant, document string) (*store.Scope, Debtor, error) {
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return nil, Debtor{}, err
	}
	var d Debtor
	if err := sc.C("debtors").Get(ctx, sc.ID(document), &d); err != nil {
		return nil, Debtor{}, err
	}
	if actor.From(ctx).Role == tenants.RoleCollector {
		mine := false
		for _, id := range d.AccountIDs {
			if _, err := s.account(ctx, sc, id); err == nil {
				mine = true
				break
			} else if !errors.Is(err, apperr.ErrNotFound) {
				return nil, Debtor{}, err
			}
		}
		if !mine {
			return nil, Debtor{}, fmt.Errorf("debtor: %w", apperr.ErrNotFound)
		}
	}
	return sc, d, nil
}

// replaceCode stores the hash of code on the debtor and moves its token
// version, so the old code and every session stop working.
func (s *Service) replaceCode(ctx context.Context, sc *store.Scope, id, code string) error {
	var d Debtor
	return sc.C("debtors").Mutate(ctx, id, &d, func() (bson.D, error) {
		return bson.D{{Key: "$set", Value: bson.D{{Key: "accessCodeHash", Value: s.HashCode(id, code)}, {Key: "updatedAt", Value: s.now()}}},
			{Key: "$inc", Value: bson.D{{Key: "tokenVersion", Value: int64(1)}}}}, nil
	})
}

// SafeCell neutralises a CSV cell that a spreadsheet would run as a formula
// (= + - @, tab, CR) by prefixing a quote.
func SafeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
