package payments

import "context"

// ImputeOnly does what a completion does before it moves the payment to
// succeeded, and stops there: the state a crash between the two leaves.
func ImputeOnly(ctx context.Context, s *Service, tenant, paymentID, gatewayRef string) error {
	sc := s.db.Tenant(tenant)
	var p Payment
	if err := sc.C("payments").Get(ctx, paymentID, &p); err != nil {
		return err
	}
	now := s.now().UTC()
	p.CompletedAt = &now
	_, _, _, err := s.impute(ctx, sc, p, gatewayRef)
	return err
}
