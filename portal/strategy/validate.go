package strategy

import (
	"cartera/payments/calc"
	"fmt"
	"regexp"
	"slices"
	"time"

	"cartera/portal/apperr"
)

// Bounds a policy must keep. They are generous: they catch typing mistakes
// (a rate in percent where basis points belong), not business choices.
const (
	MaxSteps       = 40
	MinStepDay     = -90
	MaxStepDay     = 1080
	MaxInterestBP  = 10000 // 100 % a year; the legal cap applies on top
	MaxGraceDays   = 90
	MaxPromiseDays = 180
)

var templateRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,59}$`)

// Validate returns an *apperr.Invalid naming every field a person must fix,
// or nil.
func (p Policy) Validate() error {
	f := apperr.Fields{}
	switch {
	case len(p.Steps) == 0:
		f.Add("steps", "la escalera necesita al menos un paso")
	case len(p.Steps) > MaxSteps:
		f.Add("steps", fmt.Sprintf("máximo %d pasos", MaxSteps))
	}
	if p.LadderStart != "" && p.LadderStart != StartDue && p.LadderStart != StartPlacement {
		f.Add("ladderStart", "use due (desde el vencimiento) o placement (desde la asignación, para cuentas asignadas ya vencidas)")
	}
	seen := map[string]int{}
	for i, s := range p.Steps {
		at := func(field string) string { return fmt.Sprintf("steps[%d].%s", i, field) }
		if s.Day < MinStepDay || s.Day > MaxStepDay {
			f.Add(at("day"), fmt.Sprintf("el día va de %d a %d respecto al vencimiento", MinStepDay, MaxStepDay))
		}
		if i > 0 && s.Day < p.Steps[i-1].Day {
			f.Add(at("day"), fmt.Sprintf("los pasos van en orden de días: el día %d viene después del %d", s.Day, p.Steps[i-1].Day))
		}
		if !slices.Contains(Channels(), s.Channel) {
			f.Add(at("channel"), "canal desconocido: use call, email, whatsapp, sms, visit, letter, statement, credit_suspension, final_notice o legal")
		} else if s.Automatic && !canAutomate(s.Channel) {
			f.Add(at("automatic"), "las llamadas, visitas y la etapa jurídica las hace una persona: no pueden ser automáticas")
		}
		if prev, dup := seen[s.Key()]; dup {
			f.Add(at("channel"), fmt.Sprintf("el paso %d ya usa el canal %s el día %s", prev, s.Channel, dayLabel(s.Day)))
		} else {
			seen[s.Key()] = i
		}
		if !templateRE.MatchString(s.Template) {
			f.Add(at("template"), "indique la plantilla: minúsculas, dígitos y _ (máximo 60)")
		}
		if len(s.Label) > 120 {
			f.Add(at("label"), "máximo 120 caracteres")
		}
	}
	if p.LateInterestBP < 0 || p.LateInterestBP > MaxInterestBP {
		f.Add("lateInterestBP", "tasa anual en puntos básicos, de 0 a 10000 (2400 = 24 %)")
	}
	if p.GraceDays < 0 || p.GraceDays > MaxGraceDays {
		f.Add("graceDays", fmt.Sprintf("de 0 a %d días", MaxGraceDays))
	}
	if p.EarlyPayment.DaysBefore < 0 || p.EarlyPayment.DaysBefore > 90 {
		f.Add("earlyPayment.daysBefore", "de 0 a 90 días antes del vencimiento")
	}
	if p.EarlyPayment.PercentBP < 0 || p.EarlyPayment.PercentBP > 5000 {
		f.Add("earlyPayment.percentBP", "de 0 a 5000 puntos básicos (200 = 2 %)")
	}
	tiers := map[int]bool{}
	for i, t := range p.Settlement {
		at := func(field string) string { return fmt.Sprintf("settlement[%d].%s", i, field) }
		if t.MinDaysPastDue < 0 || t.MinDaysPastDue > 3650 {
			f.Add(at("minDaysPastDue"), "de 0 a 3650 días de mora")
		} else if tiers[t.MinDaysPastDue] {
			f.Add(at("minDaysPastDue"), "ya hay un nivel con esos días de mora")
		}
		tiers[t.MinDaysPastDue] = true
		if t.PercentBP <= 0 || t.PercentBP > 9000 {
			f.Add(at("percentBP"), "de 1 a 9000 puntos básicos (1000 = 10 %)")
		}
		if t.MaxAmount < 0 {
			f.Add(at("maxAmount"), "no puede ser negativo (0 = sin tope)")
		}
	}
	if len(p.Settlement) > 10 {
		f.Add("settlement", "máximo 10 niveles")
	}
	if err := p.Plans.Calc().Validate(); err != nil {
		f.Add("plans", "reglas de acuerdos de pago no válidas: cuotas de 1 a 360, cuota inicial de 0 a 10000 pb, sin valores negativos")
	}
	if g := p.Plans.GraceDays; g != nil && (*g < 0 || *g > 60) {
		f.Add("plans.graceDays", "de 0 a 60 días después de la fecha de la cuota")
	}
	if m := p.Plans.MaxMissed; m < 0 || m > 12 || (p.Plans.MaxInstallments > 0 && m > p.Plans.MaxInstallments+1) {
		f.Add("plans.maxMissed", "de 1 a 12 cuotas incumplidas, y no más que las cuotas del plan (0 = 2)")
	}
	if p.Promises.MaxDaysAhead < 1 || p.Promises.MaxDaysAhead > MaxPromiseDays {
		f.Add("promises.maxDaysAhead", fmt.Sprintf("de 1 a %d días", MaxPromiseDays))
	}
	if p.Promises.GraceDays < 0 || p.Promises.GraceDays > 30 {
		f.Add("promises.graceDays", "de 0 a 30 días")
	}
	if p.Promises.MinAmount < 0 {
		f.Add("promises.minAmount", "no puede ser negativo")
	}
	return f.Err()
}

func dayLabel(d int) string {
	if d < 0 {
		return fmt.Sprintf("D%d", d)
	}
	return fmt.Sprintf("D+%d", d)
}

// WithinCaps refuses a policy whose late interest rate, or whose plans'
// financing rate compounded over twelve months, is above the cap in force
// on day (a field error a manager can act on). Days the engine prices are
// still capped day by day; this keeps the policy from promising what the
// law forbids.
func (p Policy) WithinCaps(caps calc.CapTable, day time.Time) error {
	if len(caps) == 0 {
		return nil
	}
	bp, ok := caps.At(day)
	if !ok {
		last := caps.LastCovered()
		if last.IsZero() {
			return nil
		}
		bp, _ = caps.At(last)
	}
	f := apperr.Fields{}
	if p.LateInterestBP > bp {
		f.Add("lateInterestBP", fmt.Sprintf("la tasa de mora supera la tasa de usura vigente (%s %% EA): use %d o menos", calc.FormatBP(bp), bp))
	}
	if ea := calc.AnnualFromMonthly(p.Plans.MonthlyRateBP); ea > bp {
		f.Add("plans.monthlyRateBP", fmt.Sprintf("la tasa del plan equivale a %s %% EA, sobre la usura vigente (%s %% EA): use %d o menos al mes",
			calc.FormatBP(ea), calc.FormatBP(bp), calc.MonthlyFromAnnual(bp)))
	}
	return f.Err()
}
