package compliance

import (
	"slices"
	"time"
)

// Figures of Ley 1266 de 2008 art. 12 as amended by Ley 2157 de 2021.
const (
	// BureauNoticeDays is the calendar days that must pass after the notice.
	BureauNoticeDays = 20
	// SmallDebtPercent of one SMMLV (monthly legal minimum wage) is the
	// ceiling of a small debt, which needs two notices.
	SmallDebtPercent = 15
)

const bureauRule = "Ley 1266 de 2008, art. 12, modificado por la Ley 2157 de 2021"

// IsSmallDebt reports whether balance is at most percent% of the monthly
// minimum wage; both amounts in the same minor unit. Pass SmallDebtPercent
// unless the law changes.
func IsSmallDebt(balance, minimumWage, percent int64) bool {
	return balance*100 <= minimumWage*percent
}

// BureauReport decides whether a negative report to a Colombian credit bureau
// may be made at now. notices are the sending times of the prior notices, in
// the debtor's time zone; those after now are ignored. The report is possible
// from 00:00 of the day after BureauNoticeDays full calendar days have passed
// since the notice day: from the first notice, or for a small debt (two
// notices on different days required) from the last one.
func BureauReport(notices []time.Time, now time.Time, smallDebt bool, disputeOpen bool) Decision {
	if disputeOpen {
		return refuse(CodeDisputeOpen, "Ley 1266 de 2008, art. 16, modificado por la Ley 2157 de 2021",
			"Hay un reclamo en trámite: no se puede reportar mientras no se resuelva.")
	}
	var sent []time.Time
	for _, n := range notices {
		if !n.After(now) {
			sent = append(sent, n)
		}
	}
	slices.SortFunc(sent, time.Time.Compare)
	if len(sent) == 0 {
		return refuse(CodeNoticeMissing, bureauRule, "Falta la comunicación previa al titular.")
	}
	from := sent[0]
	if smallDebt {
		from = sent[len(sent)-1]
		if dayNumber(sent[0]) == dayNumber(from) {
			return refuse(CodeNoticeMissing, bureauRule,
				"Deuda pequeña (hasta %d%% de un SMMLV): se requieren dos comunicaciones en días diferentes.", SmallDebtPercent)
		}
	}
	y, m, d := from.Date()
	open := time.Date(y, m, d+BureauNoticeDays+1, 0, 0, 0, 0, from.Location())
	if now.Before(open) {
		dec := refuse(CodeNoticePeriod, bureauRule,
			"Deben pasar %d días calendario desde la comunicación del %s; se podrá reportar desde el %s.",
			BureauNoticeDays, from.Format("02/01/2006"), open.Format("02/01/2006"))
		dec.Next = open
		return dec
	}
	return Decision{Allowed: true, Code: CodeOK, Rule: bureauRule, Reason: "Reporte negativo permitido.", Next: now}
}

// More refusal codes of the bureau workflow.
const (
	CodePlanActive = "plan_active" // a current installment plan: the debtor is paying
	CodePaid       = "paid"        // nothing is owed
	CodeRecalled   = "recalled"    // the client took the account back
)

// minimumWages is Colombia's monthly legal minimum wage (SMMLV) by year, in
// centavos, as decreed each December for the next year. A year not listed
// uses the latest one listed; add each year's figure when its decree is out.
var minimumWages = map[int]int64{
	2024: 1_300_000_00, // Decreto 2292 de 2023
	2025: 1_423_500_00, // Decreto 1572 de 2024
}

// MinimumWage returns the SMMLV in force in a year, in centavos, and
// whether that year is in the table (false: the latest known was used).
func MinimumWage(year int) (int64, bool) {
	if w, ok := minimumWages[year]; ok {
		return w, true
	}
	best, by := int64(0), 0
	for y, w := range minimumWages {
		if y <= year && y > by || by == 0 {
			best, by = w, y
		}
	}
	return best, false
}

// BureauCase is an account as the credit-bureau rules see it.
type BureauCase struct {
	Notices     []time.Time // when each prior notice was communicated, in the debtor's zone
	Balance     int64       // centavos (COP)
	DisputeOpen bool
	PlanActive  bool
	Paid        bool
	Recalled    bool
}

// BureauEligibility decides whether the account may be reported as of now:
// nothing owed, a recalled account, a current installment plan and an open
// dispute block it outright; otherwise BureauReport counts the notices and
// days (a small debt, up to SmallDebtPercent of the year's SMMLV, needs two
// notices on different days).
func BureauEligibility(c BureauCase, now time.Time) Decision {
	switch {
	case c.Paid || c.Balance <= 0:
		return refuse(CodePaid, bureauRule, "La cuenta no tiene saldo pendiente: no hay nada que reportar.")
	case c.Recalled:
		return refuse(CodeRecalled, "", "El cliente retiró la cuenta de la gestión de cobro.")
	case c.DisputeOpen:
		return BureauReport(c.Notices, now, false, true)
	case c.PlanActive:
		return refuse(CodePlanActive, bureauRule, "El deudor tiene un acuerdo de pago vigente: no se reporta mientras lo cumpla.")
	}
	wage, _ := MinimumWage(now.Year())
	return BureauReport(c.Notices, now, IsSmallDebt(c.Balance, wage, SmallDebtPercent), false)
}
