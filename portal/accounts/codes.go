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
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
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

// storeCodes seals the batch's new codes into their own chunk, so an
// interrupted import keeps the codes of the debtors it already created.
func (rn *run) storeCodes(ctx context.Context) error {
	rn.batchNo++
	if len(rn.codes) == 0 {
		return nil
	}
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
	// Chunks are numbered by batch; an import has at most one per batch.
	for n := 1; n <= imp.Total/max(1, s.BatchSize)+2; n++ {
		var doc codesDoc
		err := sc.C("importrows").Take(ctx, fmt.Sprintf("%s:codes:%d", importID, n), &doc)
		if errors.Is(err, apperr.ErrNotFound) {
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

// NewDebtorCode issues a new access code for a debtor, replacing the old
// one (which stops working) and revoking the debtor's sessions.
func (s *Service) NewDebtorCode(ctx context.Context, tenant, document string) (string, error) {
	a := actor.From(ctx)
	switch a.Role {
	case tenants.RoleAdmin, tenants.RoleManager, tenants.RoleCollector, tenants.RoleClient:
	default:
		return "", forbidden("access code")
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return "", err
	}
	id := sc.ID(document)
	code := NewAccessCode()
	var d Debtor
	err = sc.C("debtors").Mutate(ctx, id, &d, func() (bson.D, error) {
		return bson.D{{Key: "$set", Value: bson.D{{Key: "accessCodeHash", Value: s.HashCode(id, code)}, {Key: "updatedAt", Value: time.Now().UTC()}}},
			{Key: "$inc", Value: bson.D{{Key: "tokenVersion", Value: int64(1)}}}}, nil
	})
	if err != nil {
		return "", err
	}
	_ = s.audit.Record(ctx, tenant, "debtor.code", id, nil)
	return code, nil
}

// SafeCell neutralises a CSV cell that a spreadsheet would run as a formula
// (= + - @, tab, CR) by prefixing a quote.
func SafeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
