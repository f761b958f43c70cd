package debtors

import (
	"context"
	"errors"
	"slices"
	"sort"

	"cartera/portal/apperr"
)

// AccountDisputes lists the disputes that name an account, newest first,
// read by _id from its debtor's list (never a scan of the tenant). The
// caller has already been allowed to read the account.
func (s *Service) AccountDisputes(ctx context.Context, tenant, accountID, debtorID string) ([]Dispute, error) {
	sc := s.db.Tenant(tenant)
	var d struct {
		DisputeIDs []string `bson:"disputeIds"`
	}
	out := []Dispute{}
	if err := sc.C("debtors").Get(ctx, debtorID, &d); errors.Is(err, apperr.ErrNotFound) {
		return out, nil
	} else if err != nil {
		return nil, err
	}
	for _, id := range d.DisputeIDs {
		var dis Dispute
		if err := sc.C("disputes").Get(ctx, id, &dis); errors.Is(err, apperr.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		if slices.Contains(dis.AccountIDs, accountID) {
			out = append(out, dis)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}
