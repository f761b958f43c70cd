package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"cartera/payments"
	"cartera/portal/accounts"
	"cartera/portal/actor"
	"cartera/portal/app"
	"cartera/portal/apperr"
	"cartera/portal/debtors"
	"cartera/portal/outbox"
	"cartera/portal/queue"
	"cartera/portal/work"
	"cartera/tenants"
)

// sim replays a year of a tenant through the real services with their
// clocks set to the simulated day: placements in batches, the ladder and
// its messages, collectors' calls inside the contact rules, promises kept
// and broken, payments manual and online, refunds, disputes, plans,
// bureau notices and month-end reports. Every figure the pages show then
// comes from the ledger the services wrote; nothing is inserted around them.
type sim struct {
	a     *app.App
	spec  tenantSpec
	t     tenants.Tenant
	rng   *rand.Rand // what people do
	files *rand.Rand // what the client's files hold, apart so the portfolio never depends on the calls
	now   time.Time
	start time.Time

	manager, client context.Context
	collectors      []context.Context
	stats           Stats

	promises     []promise       // made, not yet settled by the simulation
	installments []installment   // plan installments the debtor will pay on their day
	contacted    map[string]bool // debtor documents called this week
	paidRefs     []string        // online payments, for refunds
	batches      int
	outbox       *outbox.Service // the replay's deliveries (its own sender)
}

// promise is one the simulation will keep (pay) or break (let lapse).
type promise struct {
	account, document string
	amount            int64
	date              time.Time
	keep, online      bool
}

// installment is a plan installment to pay on its date.
type installment struct {
	document, plan string
	n              int
	date           time.Time
}

// Stats counts what the replay did (printed, and checked by the test).
type Stats struct {
	Invoices, Activities, Blocked, Promises, Kept, Broken int
	ManualPayments, OnlinePayments, Refunds               int
	Disputes, Plans, Bureau, Messages, Reports, Recalls   int
}

// clock points every service that dates what it writes at the simulation.
func (s *sim) clock() func() {
	now := func() time.Time { return s.now }
	a := s.a
	a.Accounts.Now, a.Web.Work.Now, a.Web.Queue.Now, a.DebtorsSvc.Now, a.Web.Plans.Now, a.Web.Reports.Now = now, now, now, now, now, now
	a.Ladder.Now, a.Outbox.Now, a.Bureau.Now = now, now, now
	return func() {
		a.Accounts.Now, a.Web.Work.Now, a.Web.Plans.Now = nil, time.Now, time.Now
		a.Web.Queue.Now, a.DebtorsSvc.Now, a.Web.Reports.Now = time.Now, time.Now, time.Now
		a.Ladder.Now, a.Outbox.Now, a.Bureau.Now = time.Now, time.Now, time.Now
	}
}

// replay walks the year day by day, ending on today.
func (s *sim) replay(ctx context.Context, today time.Time) error {
	loc := s.t.Location()
	start := time.Date(today.Year(), today.Month(), today.Day(), 9, 0, 0, 0, loc).AddDate(-1, 0, 0)
	s.start = start
	restore := s.clock()
	defer restore()
	sender := &demoMail{}
	// The year's e-mails go out through an outbox of its own: a sender
	// that bounces some addresses, two attempts each.
	s.outbox = outbox.New(outbox.Options{DB: s.a.DB, Tenants: s.a.Tenants, Log: s.a.Log, Email: sender, MaxAttempts: 2,
		Now: func() time.Time { return s.now }})
	s.contacted = map[string]bool{}
	for day := start; !day.After(today); day = day.AddDate(0, 0, 1) {
		s.at(day, 8, 0)
		if day.Day() == 1 || day.Equal(start) {
			if err := s.monthStart(ctx, day, start); err != nil {
				return err
			}
		}
		wd := day.Weekday()
		if wd == time.Monday && s.week()%s.spec.LadderEvery == 0 {
			s.contacted = map[string]bool{}
			if err := s.ladder(ctx); err != nil {
				return err
			}
		}
		// Collectors call on Tuesdays, Wednesdays and Thursdays (the other
		// days go to letters, visits and the inbound line).
		if s.spec.CallDays[wd] {
			if err := s.workDay(ctx, day); err != nil {
				return err
			}
		}
		if err := s.settlePromises(ctx, day); err != nil {
			return err
		}
		if err := s.payInstallments(day); err != nil {
			return err
		}
		s.at(day, 23, 0)
		if wd == time.Sunday && s.week()%2 == 0 { // the scheduler's pass, every other week here: each is a scan
			if _, _, err := s.a.Web.Work.CheckPromises(s.manager, s.t.ID, s.now); err != nil {
				return fmt.Errorf("promises: %w", err)
			}
		}
		if wd == time.Friday && s.week()%2 == 0 {
			if _, err := s.a.Web.Plans.Check(s.manager, s.t.ID, s.now); err != nil {
				return fmt.Errorf("plans: %w", err)
			}
		}
	}
	s.stats.Messages = sender.sent
	return nil
}

// week is the number of the simulated week since the start.
func (s *sim) week() int { return int(s.now.Sub(s.start).Hours() / 24 / 7) }

// monthlyReports writes the report of each full month of the year, as the
// month-end job would have on each month's first business days.
func (s *sim) monthlyReports(ctx context.Context, today time.Time) error {
	restore := s.clock()
	defer restore()
	loc := s.t.Location()
	first := time.Date(s.start.Year(), s.start.Month(), 1, 10, 0, 0, 0, loc).AddDate(0, 2, 0)
	// Each month's set reads only the finished year: two months at a time
	// (a set is PDFs and a scan of the ledger, a core's work).
	var made atomic.Int64
	var g errgroup.Group
	g.SetLimit(2)
	for m := first; !m.After(today); m = m.AddDate(0, 1, 0) {
		g.Go(func() error {
			for d := 0; d < 7; d++ { // the job waits for the month's first business day
				n, err := s.a.Web.Reports.RunMonthly(s.manager, m.AddDate(0, 0, d))
				if err != nil {
					return fmt.Errorf("monthly report %s: %w", m.Format("2006-01"), err)
				}
				if n > 0 {
					made.Add(int64(n))
					return nil
				}
			}
			return nil
		})
	}
	err := g.Wait()
	s.stats.Reports += int(made.Load())
	return err
}

// at sets the simulated time of day (the tenant's wall clock).
func (s *sim) at(day time.Time, h, m int) {
	s.now = time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, day.Location())
}

// monthStart places a batch every other month, writes last month's report,
// sends bureau notices and lets the client take back an account or two.
func (s *sim) monthStart(ctx context.Context, day, start time.Time) error {
	months := int(day.Sub(start).Hours() / 24 / 30)
	if months%2 == 0 && s.batches < s.spec.Batches {
		if err := s.place(ctx, day); err != nil {
			return err
		}
	}
	if months >= 3 && s.t.Country == "CO" { // Ley 1266 prior notice: Colombia only
		if err := s.bureau(ctx, 3); err != nil {
			return err
		}
	}
	if months >= 2 && months%3 == 2 {
		if err := s.recall(ctx); err != nil {
			return err
		}
	}
	if months >= 1 && months%2 == 1 {
		if err := s.disputes(ctx, s.spec.Disputes, months < 10); err != nil {
			return err
		}
		if err := s.offerPlans(ctx, s.spec.Plans); err != nil {
			return err
		}
	}
	return nil
}

func (s *sim) place(ctx context.Context, day time.Time) error {
	csv := s.spec.Portfolio(s.files, s.batches, day)
	name := fmt.Sprintf("%s-%s.csv", s.spec.FilePrefix, day.Format("2006-01"))
	imp, err := s.a.Accounts.ImportNow(s.client, s.t.ID, accounts.Upload{Name: name, Size: int64(len(csv)), File: bytes.NewReader(csv)})
	if err != nil {
		return fmt.Errorf("placement %s: %w", name, err)
	}
	s.batches++
	s.stats.Invoices += imp.Inserted
	return nil
}

// ladder runs the automatic steps and delivers what they queued.
func (s *sim) ladder(ctx context.Context) error {
	if _, err := s.a.Ladder.Run(s.manager, s.t.ID); err != nil {
		return fmt.Errorf("ladder: %w", err)
	}
	if _, err := s.outbox.Deliver(s.manager, s.t.ID); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	return nil
}

// workDay: each collector calls a few accounts from the top of their queue
// in the morning; what the debtors answer decides what follows.
func (s *sim) workDay(ctx context.Context, day time.Time) error {
	for ci, cctx := range s.collectors {
		items, err := s.a.Web.Queue.Queue(cctx, queue.QueueFilter{Tenant: s.t.ID, Limit: 40})
		if err != nil {
			return fmt.Errorf("queue: %w", err)
		}
		// Ties in the queue come in no particular order: break them by
		// account so the replay is the same every time.
		sort.SliceStable(items, func(i, j int) bool {
			if items[i].Priority != items[j].Priority {
				return items[i].Priority > items[j].Priority
			}
			return items[i].AccountID < items[j].AccountID
		})
		calls := 0
		for _, it := range items {
			if calls >= s.spec.CallsPerDay {
				break
			}
			if s.contacted[it.DebtorName] {
				continue
			}
			s.contacted[it.DebtorName] = true
			calls++
			s.at(day, 9+ci, 10*calls)
			if err := s.call(cctx, it, day); err != nil {
				return err
			}
		}
	}
	// A few debtors pay online on their own, without being called.
	if s.rng.IntN(s.spec.SelfPayOdds) == 0 {
		s.at(day, 20, 15)
		if err := s.selfPay(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (s *sim) documentOf(ctx context.Context, key string) (string, error) {
	d, err := s.a.Accounts.Get(ctx, s.t.ID, key)
	if err != nil {
		return "", fmt.Errorf("account %s: %w", key, err)
	}
	return d.Document, nil
}

// call logs one outbound call with a believable outcome.
func (s *sim) call(ctx context.Context, it queue.Item, day time.Time) error {
	in := work.ActivityInput{Channel: "call"}
	r := s.rng.IntN(100)
	switch {
	case r < 38:
		in.Outcome = work.OutcomeNoAnswer
	case r < 48:
		in.Outcome, in.Note = work.OutcomeLeftMessage, s.spec.Notes.LeftMessage
	case r < 58:
		in.Outcome, in.Note = work.OutcomeContacted, s.spec.Notes.Contacted[s.rng.IntN(len(s.spec.Notes.Contacted))]
	case r < 62:
		in.Outcome, in.Note = work.OutcomeWrongNumber, s.spec.Notes.WrongNumber
	default:
		amount := it.Balance
		if s.rng.IntN(2) == 0 {
			amount = it.Balance / 100 * int64(30+s.rng.IntN(50))
		}
		date := day.AddDate(0, 0, 2+s.rng.IntN(9))
		in.Outcome, in.Note = work.OutcomePromise, s.spec.Notes.Promise
		in.Promise = &work.PromiseInput{Amount: amount, Date: date.Format(time.DateOnly)}
	}
	// Drawn before the call so the sequence does not depend on its answer.
	keep, online := s.rng.IntN(100) < 64, s.rng.IntN(2) == 0
	_, err := s.a.Web.Work.LogActivity(ctx, s.t.ID, it.AccountID, in)
	var ref *apperr.Refusal
	switch {
	case errors.As(err, &ref):
		s.stats.Blocked++ // the rules said no (a holiday, the weekly cap): kept as a blocked attempt
		return nil
	case isSkippable(err):
		return nil
	case err != nil:
		return fmt.Errorf("call %s: %w", it.AccountID, err)
	}
	s.stats.Activities++
	if in.Promise != nil {
		s.stats.Promises++
		doc, err := s.documentOf(ctx, it.AccountID)
		if err != nil {
			return err
		}
		date, _ := time.ParseInLocation(time.DateOnly, in.Promise.Date, day.Location())
		s.promises = append(s.promises, promise{account: it.AccountID, document: doc, amount: in.Promise.Amount, date: date, keep: keep, online: online})
	}
	return nil
}

// settlePromises pays the promises due today that the debtor keeps: by
// transfer the collector records, or online through the gateway.
func (s *sim) settlePromises(ctx context.Context, day time.Time) error {
	left := s.promises[:0]
	for _, p := range s.promises {
		if p.date.After(day) {
			left = append(left, p)
			continue
		}
		if !p.keep {
			s.stats.Broken++
			continue
		}
		s.at(day, 15, 30)
		var err error
		if p.online {
			err = s.payOnline(p.document, payments.CheckoutInput{Amount: p.amount})
		} else {
			err = s.payManual(p.account, p.amount, day)
		}
		if err != nil {
			return err
		}
		s.stats.Kept++
	}
	s.promises = left
	return nil
}

// payInstallments pays the plan installments due today.
func (s *sim) payInstallments(day time.Time) error {
	left := s.installments[:0]
	for _, in := range s.installments {
		if in.date.After(day) {
			left = append(left, in)
			continue
		}
		s.at(day, 12, 0)
		n := in.n
		if err := s.payOnline(in.document, payments.CheckoutInput{PlanID: in.plan, Installment: &n}); err != nil {
			return err
		}
	}
	s.installments = left
	return nil
}

func (s *sim) payManual(key string, amount int64, day time.Time) error {
	ref := fmt.Sprintf("TRF-%s-%d", day.Format("0102"), s.rng.IntN(900000)+100000)
	_, err := s.a.Web.Work.RecordPayment(s.collectors[0], s.t.ID, key, work.PaymentInput{Amount: amount, Method: work.MethodTransfer, Reference: ref,
		PaidAt: day.Format(time.DateOnly)})
	if isSkippable(err) {
		return nil // paid or recalled meanwhile: the transfer is not recorded
	}
	if err != nil {
		return fmt.Errorf("manual payment %s: %w", key, err)
	}
	s.stats.ManualPayments++
	return nil
}

// payOnline checks out as the debtor and completes as the gateway would.
func (s *sim) payOnline(document string, in payments.CheckoutInput) error {
	dctx := s.debtor(document)
	p, _, err := s.a.Payments.Checkout(dctx, in)
	if isSkippable(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkout %s: %w", document, err)
	}
	ref := fmt.Sprintf("sbx_demo_%d", s.rng.Uint64())
	if _, err := s.a.Payments.Complete(s.manager, s.t.ID, p.ID, ref, p.Amount, p.Currency); err != nil {
		return fmt.Errorf("complete %s: %w", document, err)
	}
	s.stats.OnlinePayments++
	s.paidRefs = append(s.paidRefs, p.ID)
	// One payment in twenty is made twice by mistake and half refunded.
	if s.rng.IntN(20) == 0 && len(s.paidRefs) > 1 {
		if _, err := s.a.Payments.Reverse(s.manager, s.t.ID, p.ID, "refund:demo-"+ref, p.Amount/2, s.spec.Notes.Refund); err == nil {
			s.stats.Refunds++
		}
	}
	return nil
}

// selfPay: a debtor from the portfolio pays everything online.
func (s *sim) selfPay(ctx context.Context) error {
	doc, ok, err := s.someDebtor(ctx, 0)
	if err != nil || !ok {
		return err
	}
	return s.payOnline(doc, payments.CheckoutInput{})
}

// someDebtor picks an open account's debtor at least minDays late.
func (s *sim) someDebtor(ctx context.Context, minDays int) (string, bool, error) {
	page, err := s.a.Accounts.List(s.manager, s.t.ID, accounts.Filter{Status: accounts.StatusOpen, Limit: 200})
	if err != nil {
		return "", false, fmt.Errorf("accounts: %w", err)
	}
	var pool []string
	for _, v := range page.Items {
		late := int(s.now.Sub(v.DueDate).Hours() / 24)
		if late >= minDays && v.PlanID == "" && len(v.DisputeIDs) == 0 {
			pool = append(pool, v.Document)
		}
	}
	if len(pool) == 0 {
		return "", false, nil
	}
	return pool[s.rng.IntN(len(pool))], true, nil
}

// disputes: n debtors dispute an invoice; the client decides — the first
// accepted in part, the others rejected with a note — except in the last
// months, whose disputes still wait for the client.
func (s *sim) disputes(ctx context.Context, n int, decide bool) error {
	for i := 0; i < n; i++ {
		page, err := s.a.Accounts.List(s.manager, s.t.ID, accounts.Filter{Status: accounts.StatusOpen, Limit: 200})
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return nil
		}
		v := page.Items[s.rng.IntN(len(page.Items))]
		if len(v.DisputeIDs) > 0 || v.PlanID != "" {
			continue
		}
		reasons := []string{"already_paid", "wrong_amount", "not_received", "quality"}
		d, err := s.a.DebtorsSvc.OpenDispute(s.debtor(v.Document), debtors.NewDispute{AccountIDs: []string{v.Invoice},
			Reason: reasons[s.rng.IntN(len(reasons))], Description: s.spec.Notes.Dispute})
		if isSkippable(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("dispute: %w", err)
		}
		s.stats.Disputes++
		if !decide {
			continue // the last ones are still waiting for the client
		}
		res := debtors.Resolution{Decision: "reject", Note: s.spec.Notes.Rejected}
		if i == 0 {
			credit := v.Balance / 4
			res = debtors.Resolution{Decision: "accept", CreditAmount: &credit, Note: s.spec.Notes.Accepted}
		}
		key := d.ID[len(s.t.ID)+1:]
		if _, err := s.a.DebtorsSvc.Resolve(s.client, s.t.ID, key, res); err != nil && !isSkippable(err) {
			return fmt.Errorf("resolve dispute: %w", err)
		}
	}
	return nil
}

// offerPlans: debtors late enough accept the second offer and pay the down
// payment; later installments are paid on time by most, and one plan in
// three is left to default.
func (s *sim) offerPlans(ctx context.Context, n int) error {
	for i := 0; i < n; i++ {
		doc, ok, err := s.someDebtor(ctx, 45)
		if err != nil || !ok {
			return err
		}
		dctx := s.debtor(doc)
		offers, err := s.a.Web.Plans.Offers(dctx)
		if isSkippable(err) || len(offers) == 0 {
			continue
		}
		if err != nil {
			return fmt.Errorf("plan offers: %w", err)
		}
		o := offers[min(1, len(offers)-1)]
		plan, err := s.a.Web.Plans.Accept(dctx, o.ID, true)
		if isSkippable(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("accept plan: %w", err)
		}
		s.stats.Plans++
		down := 0
		if err := s.payOnline(doc, payments.CheckoutInput{PlanID: plan.ID, Installment: &down}); err != nil {
			return err
		}
		if s.rng.IntN(3) == 0 {
			continue // this one never pays again: the plan defaults
		}
		for _, r := range plan.Schedule {
			if r.N > 0 {
				day := time.Date(r.Date.Year(), r.Date.Month(), r.Date.Day(), 0, 0, 0, 0, s.t.Location())
				s.installments = append(s.installments, installment{document: doc, plan: plan.ID, n: r.N, date: day})
			}
		}
	}
	return nil
}

// bureau sends the prior notice (Ley 1266 art. 12) to up to n accounts
// more than 60 days late that have none yet.
func (s *sim) bureau(ctx context.Context, n int) error {
	listed, err := s.a.Bureau.List(s.manager, s.t.ID, "")
	if err != nil {
		return fmt.Errorf("bureau list: %w", err)
	}
	has := map[string]bool{}
	for _, it := range listed {
		has[it.Invoice] = true
	}
	page, err := s.a.Accounts.List(s.manager, s.t.ID, accounts.Filter{Status: accounts.StatusOpen, Limit: 200})
	if err != nil {
		return fmt.Errorf("accounts: %w", err)
	}
	sent := 0
	for _, v := range page.Items {
		if sent >= n || has[v.Invoice] || s.now.Sub(v.DueDate) < 60*24*time.Hour || v.PlanID != "" || len(v.DisputeIDs) > 0 {
			continue
		}
		if _, err := s.a.Bureau.SendNotice(s.manager, s.t.ID, v.Invoice, "email"); err != nil {
			if isSkippable(err) {
				continue
			}
			return fmt.Errorf("bureau notice: %w", err)
		}
		sent++
		s.stats.Bureau++
	}
	return nil
}

// recall: the client takes back an account it settled directly.
func (s *sim) recall(ctx context.Context) error {
	page, err := s.a.Accounts.List(s.manager, s.t.ID, accounts.Filter{Status: accounts.StatusOpen, Limit: 50})
	if err != nil || len(page.Items) == 0 {
		return err
	}
	v := page.Items[s.rng.IntN(len(page.Items))]
	if _, err := s.a.Accounts.Recall(s.client, s.t.ID, v.Invoice, s.spec.Notes.Recall); err != nil && !isSkippable(err) {
		return fmt.Errorf("recall: %w", err)
	}
	s.stats.Recalls++
	return nil
}

func (s *sim) debtor(document string) context.Context {
	return actor.With(context.Background(), actor.Actor{UserID: s.t.ID + ":" + document, Role: tenants.RoleDebtor, Tenants: []string{s.t.ID}})
}

// isSkippable: the services refused for a reason a real person would also
// meet (already paid, nothing owed, a refusal by the rules): skip it.
func isSkippable(err error) bool {
	var ref *apperr.Refusal
	var inv *apperr.Invalid
	return errors.As(err, &ref) || errors.As(err, &inv) || errors.Is(err, apperr.ErrConflict) || errors.Is(err, apperr.ErrNotFound)
}

// demoMail "delivers" e-mail: addresses at rebota.example bounce.
type demoMail struct{ sent int }

func (m *demoMail) Send(_ context.Context, msg outbox.Message) error {
	if bytes.Contains([]byte(msg.To), []byte("rebota")) {
		return errors.New("550 mailbox unavailable")
	}
	m.sent++
	return nil
}
