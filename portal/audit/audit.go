// Package audit writes the append-only record of who did what to which
// record, when and from where.
package audit

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/actor"
	"cartera/portal/store"
)

// Entry is one audit record. Details must not hold secrets or full
// document numbers.
type Entry struct {
	ID        string         `bson:"_id" json:"id"`
	TenantID  string         `bson:"tenantId,omitempty" json:"tenant,omitempty"`
	Action    string         `bson:"action" json:"action"`
	Target    string         `bson:"target,omitempty" json:"target,omitempty"`
	ActorID   string         `bson:"actorId,omitempty" json:"actorId,omitempty"`
	ActorRole string         `bson:"actorRole,omitempty" json:"actorRole,omitempty"`
	IP        string         `bson:"ip,omitempty" json:"ip,omitempty"`
	UserAgent string         `bson:"ua,omitempty" json:"userAgent,omitempty"`
	RequestID string         `bson:"requestId,omitempty" json:"requestId,omitempty"`
	Details   map[string]any `bson:"details,omitempty" json:"details,omitempty"`
	At        time.Time      `bson:"at" json:"at"`
}

// Log is the audit writer.
type Log struct {
	db *store.DB
}

// New returns an audit writer on db.
func New(db *store.DB) *Log { return &Log{db: db} }

// Record appends one entry; the actor comes from ctx.
func (l *Log) Record(ctx context.Context, tenant, action, target string, details map[string]any) error {
	a := actor.From(ctx)
	e := Entry{
		ID:        primitive.NewObjectID().Hex(),
		TenantID:  tenant,
		Action:    action,
		Target:    target,
		ActorID:   a.UserID,
		ActorRole: a.Role,
		IP:        a.IP,
		UserAgent: a.UserAgent,
		RequestID: a.RequestID,
		Details:   details,
		At:        time.Now().UTC(),
	}
	if err := l.db.C("audit").Insert(ctx, e); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// List returns the latest entries, optionally of one tenant and action.
func (l *Log) List(ctx context.Context, tenant, action string, limit int64) ([]Entry, error) {
	f := bson.D{}
	if tenant != "" {
		f = append(f, bson.E{Key: "tenantId", Value: tenant})
	}
	if action != "" {
		f = append(f, bson.E{Key: "action", Value: action})
	}
	var out []Entry
	err := l.db.C("audit").Find(ctx, f, &out, options.Find().SetSort(bson.D{{Key: "at", Value: -1}}).SetLimit(limit))
	return out, err
}
