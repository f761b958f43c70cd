// Package jobs runs periodic background work exactly once per period across
// every replica of the portal: each run is claimed with a lease in the jobs
// collection (a guarded update: on MongoDB proper single-document atomicity
// decides the winner; embedded, the store's write lock does).
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/actor"
	"cartera/portal/apperr"
	"cartera/portal/store"
)

// Job is one periodic task. Period names the window a run covers (e.g. the
// hour or the day): a job runs once per period. Run must be idempotent,
// because a replica that dies mid-run leaves the period to be run again
// after its lease expires.
type Job struct {
	Name   string
	Every  time.Duration              // how often to try
	Period func(now time.Time) string // the window a run covers
	Lease  time.Duration              // how long a claim holds
	Run    func(ctx context.Context) error
}

// Hourly and Daily are common period functions (UTC).
func Hourly(now time.Time) string { return now.UTC().Format("2006-01-02T15") }

// Daily names the UTC day.
func Daily(now time.Time) string { return now.UTC().Format("2006-01-02") }

// Scheduler claims and runs jobs.
type Scheduler struct {
	db    *store.DB
	owner string
	log   *slog.Logger
	now   func() time.Time
}

// New returns a scheduler identified by owner (unique per replica).
func New(db *store.DB, owner string, log *slog.Logger) *Scheduler {
	return &Scheduler{db: db, owner: owner, log: log, now: time.Now}
}

// SetClock replaces the clock (tests).
func (s *Scheduler) SetClock(now func() time.Time) { s.now = now }

type lease struct {
	ID      string    `bson:"_id"`
	Owner   string    `bson:"owner"`
	Until   time.Time `bson:"until"`
	Done    string    `bson:"done"` // last period completed
	Runs    int64     `bson:"runs"`
	LastErr string    `bson:"lastErr,omitempty"`
	At      time.Time `bson:"at"`
}

// ErrNotClaimed means another replica holds the job or already ran it.
var ErrNotClaimed = errors.New("job not claimed")

// RunOnce runs j for the current period if nobody has, claiming it first.
func (s *Scheduler) RunOnce(ctx context.Context, j Job) error {
	now := s.now().UTC()
	period := j.Period(now)
	c := s.db.C("jobs")
	// Make sure the document exists (an insert races safely: one wins).
	if err := c.Insert(ctx, lease{ID: j.Name, Until: time.Time{}, At: now}); err != nil && !errors.Is(err, apperr.ErrConflict) {
		return fmt.Errorf("job %s: %w", j.Name, err)
	}
	var got lease
	err := c.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: j.Name}, {Key: "done", Value: bson.D{{Key: "$ne", Value: period}}}, {Key: "until", Value: bson.D{{Key: "$lt", Value: now}}}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "owner", Value: s.owner}, {Key: "until", Value: now.Add(j.Lease)}, {Key: "at", Value: now}}}},
		&got, false)
	if errors.Is(err, apperr.ErrNotFound) {
		return ErrNotClaimed
	}
	if err != nil {
		return fmt.Errorf("job %s: claim: %w", j.Name, err)
	}
	runErr := j.Run(actor.System(ctx, j.Name))
	set := bson.D{{Key: "until", Value: time.Time{}}, {Key: "at", Value: s.now().UTC()}}
	if runErr == nil {
		set = append(set, bson.E{Key: "done", Value: period}, bson.E{Key: "lastErr", Value: ""})
	} else {
		set = append(set, bson.E{Key: "lastErr", Value: runErr.Error()})
	}
	err = c.Update(ctx, bson.D{{Key: "_id", Value: j.Name}, {Key: "owner", Value: s.owner}},
		bson.D{{Key: "$set", Value: set}, {Key: "$inc", Value: bson.D{{Key: "runs", Value: int64(1)}}}})
	if runErr != nil {
		return fmt.Errorf("job %s: %w", j.Name, runErr)
	}
	return err
}

// Status lists every job's lease (manager pages show failures).
func (s *Scheduler) Status(ctx context.Context) ([]map[string]any, error) {
	var out []map[string]any
	err := s.db.C("jobs").Find(ctx, bson.D{}, &out)
	return out, err
}

// Tick runs every job due now, logging failures; the pool calls it.
func (s *Scheduler) Tick(ctx context.Context, list []Job) {
	for _, j := range list {
		if ctx.Err() != nil {
			return
		}
		if err := s.RunOnce(ctx, j); err != nil && !errors.Is(err, ErrNotClaimed) {
			s.log.Error("job failed", "job", j.Name, "err", err)
		}
	}
}
