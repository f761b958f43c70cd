package accounts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apperr"
	"cartera/portal/ingest"
	"cartera/portal/store"
)

// FileLayout is how a tenant's files are read: the column mapping typed in
// the upload page and the order of its dates. It is saved when an import
// starts with them and reused for the next file that names neither, since
// an ERP exports the same layout month after month.
type FileLayout struct {
	ID        string            `bson:"_id" json:"-"`
	TenantID  string            `bson:"tenantId" json:"-"`
	Mapping   map[string]string `bson:"mapping,omitempty" json:"mapping,omitempty"`
	DateOrder string            `bson:"dateOrder,omitempty" json:"dateOrder,omitempty"`
	SavedBy   string            `bson:"savedBy" json:"-"`
	SavedAt   time.Time         `bson:"savedAt" json:"savedAt"`
}

const layoutKey = "portfolio-layout"

// SavedLayout returns the tenant's saved file layout (zero when none).
func (s *Service) SavedLayout(ctx context.Context, tenant string) (FileLayout, error) {
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return FileLayout{}, err
	}
	return s.savedLayout(ctx, sc)
}

func (s *Service) savedLayout(ctx context.Context, sc *store.Scope) (FileLayout, error) {
	var l FileLayout
	err := sc.C("settings").Get(ctx, sc.ID(layoutKey), &l)
	if errors.Is(err, apperr.ErrNotFound) {
		return FileLayout{}, nil
	}
	if err != nil {
		return FileLayout{}, fmt.Errorf("saved layout: %w", err)
	}
	return l, nil
}

// ForgetLayout drops the saved layout, so detection starts afresh.
func (s *Service) ForgetLayout(ctx context.Context, tenant string) error {
	if !canManage(ctx) {
		return forbidden("layout")
	}
	sc, _, err := s.scope(ctx, tenant)
	if err != nil {
		return err
	}
	err = sc.C("settings").Delete(ctx, sc.ID(layoutKey))
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return fmt.Errorf("forget layout: %w", err)
	}
	_ = s.audit.Record(ctx, sc.Slug(), "import.layout.forget", sc.ID(layoutKey), nil)
	return nil
}

func (s *Service) saveLayout(ctx context.Context, sc *store.Scope, u Upload, by string) error {
	set := bson.D{{Key: "mapping", Value: u.Mapping}, {Key: "dateOrder", Value: u.DateOrder},
		{Key: "savedBy", Value: by}, {Key: "savedAt", Value: s.now()}}
	if _, err := sc.C("settings").Upsert(ctx, sc.ID(layoutKey), bson.D{{Key: "$set", Value: set}}); err != nil {
		return fmt.Errorf("save layout: %w", err)
	}
	_ = s.audit.Record(ctx, sc.Slug(), "import.layout.save", sc.ID(layoutKey), map[string]any{"columns": len(u.Mapping), "dateOrder": u.DateOrder})
	return nil
}

// withLayout fills what an upload leaves unsaid from the saved layout.
// It reports whether the mapping came from there (then it is lenient).
func (s *Service) withLayout(ctx context.Context, sc *store.Scope, u Upload) (Upload, bool, error) {
	if len(u.Mapping) > 0 && u.DateOrder != "" {
		return u, false, nil
	}
	l, err := s.savedLayout(ctx, sc)
	if err != nil {
		return u, false, err
	}
	saved := false
	if len(u.Mapping) == 0 && len(l.Mapping) > 0 {
		u.Mapping, saved = l.Mapping, true
	}
	if u.DateOrder == "" {
		u.DateOrder = l.DateOrder
	}
	return u, saved, nil
}

// DateCheck is what a preview says about the file's dates.
type DateCheck struct {
	Order          string `json:"order"` // DMY or MDY, as the file will be read
	Ambiguous      int    `json:"ambiguous"`
	DayFirstOnly   int    `json:"dayFirstOnly"`
	MonthFirstOnly int    `json:"monthFirstOnly"`
	// Warning is a stable code: "ambiguous" (every slashed date reads both
	// ways, so the company's order was assumed) or "contradicts" (some
	// dates only make sense in the other order).
	Warning string `json:"warning,omitempty"`
}

func dateCheck(r *ingest.Reader) DateCheck {
	st := r.Dates()
	d := DateCheck{Order: string(r.DateOrder()), Ambiguous: st.Ambiguous, DayFirstOnly: st.DayFirstOnly, MonthFirstOnly: st.MonthFirstOnly}
	against, for_ := st.DayFirstOnly, st.MonthFirstOnly
	if r.DateOrder() == ingest.DayFirst {
		against, for_ = st.MonthFirstOnly, st.DayFirstOnly
	}
	switch {
	case against > 0:
		d.Warning = "contradicts"
	case st.Ambiguous > 0 && for_ == 0:
		d.Warning = "ambiguous"
	}
	return d
}
