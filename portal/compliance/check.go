package compliance

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultHorizon bounds the search for Decision.Next.
const DefaultHorizon = 60 * 24 * time.Hour

// Checker applies the rules of each jurisdiction. The zero value is ready to
// use; it is safe for concurrent use when its fields are not changed.
type Checker struct {
	// Calendar caches holidays across calls; nil uses a fresh one per call.
	Calendar *Calendar
	// Jurisdictions replaces Lookup, keyed by upper-case country code.
	Jurisdictions map[string]Jurisdiction
	// Horizon bounds the search for Decision.Next; zero means DefaultHorizon.
	Horizon time.Duration
}

// Check decides a request with the built-in rules.
func Check(req Request) Decision {
	var c Checker
	return c.Check(req)
}

// NextAllowed is the earliest moment from req.At at which the request would
// be allowed; zero if never within DefaultHorizon.
func NextAllowed(req Request) time.Time { return Check(req).Next }

// NextAllowed is the Checker form of the package function.
func (c *Checker) NextAllowed(req Request) time.Time { return c.Check(req).Next }

// Check decides whether the contact in req may happen at req.At. Refusals
// that time cannot cure (third party, opt-out, channel not authorized) have a
// zero Next; the others carry the next allowed moment, assuming no further
// contact happens in between.
func (c *Checker) Check(req Request) Decision {
	j, ok := c.lookup(req.Country)
	if !ok {
		return refuse(CodeUnknownJurisdiction, "", "Jurisdicción desconocida: %q.", req.Country)
	}
	if req.Direction == Inbound {
		return Decision{Allowed: true, Code: CodeInbound, Reason: "Contacto iniciado por el deudor: siempre permitido.", Next: req.At}
	}
	if !knownChannel(req.Channel) {
		return refuse(CodeUnknownChannel, "", "Canal desconocido: %q.", req.Channel)
	}
	loc := req.Loc
	if loc == nil {
		loc = j.Zone
	}
	if loc == nil {
		return refuse(CodeUnknownTimezone, "", "Falta la zona horaria del deudor (%s tiene varias).", j.Name)
	}
	if d, ok := standing(j, req); !ok {
		return d
	}
	cal := c.Calendar
	if cal == nil {
		cal = NewCalendar()
	}
	e := evaluator{j: j, req: req, loc: loc, cal: cal}
	d := e.at(req.At)
	if d.Allowed {
		d.Next = req.At
		return d
	}
	horizon := c.Horizon
	if horizon <= 0 {
		horizon = DefaultHorizon
	}
	d.Next = e.next(req.At, horizon)
	return d
}

func (c *Checker) lookup(country string) (Jurisdiction, bool) {
	if c.Jurisdictions != nil {
		j, ok := c.Jurisdictions[strings.ToUpper(country)]
		return j, ok
	}
	return Lookup(country)
}

// standing checks what does not depend on time.
func standing(j Jurisdiction, req Request) (Decision, bool) {
	name := channelName(req.Channel)
	if req.ThirdParty && j.ThirdPartyBanned {
		return refuse(CodeThirdParty, j.ThirdPartyRule, "No se permite contactar a terceros sobre la deuda."), false
	}
	if req.Consent.Channels[req.Channel].OptedOut {
		return refuse(CodeOptedOut, j.OptOutRule, "El deudor pidió no ser contactado por %s.", name), false
	}
	if j.RequireAuthorization && !authorized(req.Consent, req.DefaultAuthorized, req.Channel) {
		return refuse(CodeChannelNotAuthorized, j.AuthorizationRule, "El deudor no autorizó el canal %s.", name), false
	}
	return Decision{}, true
}

func authorized(c Consent, defaults []string, channel string) bool {
	if len(c.Channels) == 0 {
		return slices.Contains(defaults, channel)
	}
	return c.Channels[channel].Authorized
}

type evaluator struct {
	j   Jurisdiction
	req Request
	loc *time.Location
	cal *Calendar
}

// at evaluates every time-dependent rule at t; Next is left unset.
func (e *evaluator) at(t time.Time) Decision {
	lt := t.In(e.loc)
	if d, ok := e.hours(lt); !ok {
		return d
	}
	if d, ok := e.frequency(lt); !ok {
		return d
	}
	return Decision{Allowed: true, Code: CodeOK, Reason: "Contacto permitido."}
}

func (e *evaluator) hours(lt time.Time) (Decision, bool) {
	ch := e.req.Channel
	h, restricted := e.j.hoursFor(ch)
	lifted := restricted && e.j.ConsentLiftsHours && e.req.Consent.ExtendedHours
	wall := wallClock(lt)
	if restricted && !lifted {
		code, holiday := e.inHours(h, lt, wall)
		switch code {
		case "":
		case CodeHoliday:
			return refuse(code, h.Rule, "Día festivo (%s): no se permite contactar por %s; horario: %s.", holiday, channelName(ch), h.Summary), false
		case CodeSunday, CodeSaturday, CodeClosedDay:
			return refuse(code, h.Rule, "No se permite contactar por %s el %s; horario: %s.", channelName(ch), weekdayName(lt.Weekday()), h.Summary), false
		default:
			return refuse(code, h.Rule, "Fuera del horario permitido para %s (%s); hora local del deudor: %s.", channelName(ch), h.Summary, lt.Format("15:04")), false
		}
	}
	if pw := e.req.Consent.PreferredWindow; pw != nil && Direct(ch) && !pw.contains(wall) {
		rule := h.Rule
		if lifted || rule == "" {
			rule = "Preferencia registrada del deudor"
		}
		return refuse(CodeOutsideHours, rule, "Fuera de la franja que eligió el deudor (%s); hora local del deudor: %s.", pw, lt.Format("15:04")), false
	}
	return Decision{}, true
}

// inHours returns "" when wall (on lt's local day) is inside h, otherwise the
// refusal code and, for holidays, the holiday's name.
func (e *evaluator) inHours(h Hours, lt time.Time, wall time.Duration) (string, string) {
	today := civil(lt)
	closed := func(day time.Time) (string, string) {
		if h.ClosedOnHolidays {
			if name, ok := e.cal.holiday(e.j.Country, day); ok {
				return CodeHoliday, name
			}
		}
		if len(h.Week[day.Weekday()]) > 0 {
			return "", ""
		}
		switch day.Weekday() {
		case time.Sunday:
			return CodeSunday, ""
		case time.Saturday:
			return CodeSaturday, ""
		}
		return CodeClosedDay, ""
	}
	code, name := closed(today)
	if code == "" {
		for _, w := range h.Week[today.Weekday()] {
			if wall >= w.From && (w.crosses() || wall < w.To) {
				return "", ""
			}
		}
	}
	// The tail of yesterday's window past midnight still belongs to yesterday.
	yesterday := today.AddDate(0, 0, -1)
	if c, _ := closed(yesterday); c == "" {
		for _, w := range h.Week[yesterday.Weekday()] {
			if w.crosses() && wall < w.To {
				return "", ""
			}
		}
	}
	if code != "" {
		return code, name
	}
	return CodeOutsideHours, ""
}

// frequency applies the caps that depend on the contact history.
func (e *evaluator) frequency(lt time.Time) (Decision, bool) {
	ch, j := e.req.Channel, e.j
	today := dayNumber(lt)
	if Direct(ch) && j.DailyCap > 0 {
		n := 0
		for _, c := range e.req.History {
			if outbound(c) && Direct(c.Channel) && e.day(c.At) == today {
				n++
			}
		}
		if n >= j.DailyCap {
			return refuse(CodeDailyCap, j.DailyCapRule, "Ya hubo %d contacto(s) con el deudor hoy; el máximo es %d por día.", n, j.DailyCap), false
		}
	}
	if Direct(ch) && j.OneChannelPerWeek {
		monday := today - (int(lt.Weekday())+6)%7
		var first *Contact
		for i, c := range e.req.History {
			d := e.day(c.At)
			if outbound(c) && Direct(c.Channel) && d >= monday && d <= monday+6 && (first == nil || c.At.Before(first.At)) {
				first = &e.req.History[i]
			}
		}
		if first != nil && first.Channel != ch {
			return refuse(CodeWeeklyChannel, j.WeeklyRule, "Esta semana ya se contactó al deudor por %s; no se puede usar %s hasta el lunes.", channelName(first.Channel), channelName(ch)), false
		}
	}
	if ch != Call {
		return Decision{}, true
	}
	if n := j.QuietDaysAfterConversation; n > 0 {
		for _, c := range e.req.History {
			if d := e.day(c.At); c.Channel == Call && c.Conversation && d <= today && d > today-n {
				return refuse(CodeCallAfterConversation, j.ConversationRule, "Hubo una conversación telefónica el %s; no se puede volver a llamar durante %d días contados desde ese día.", c.At.In(e.loc).Format("02/01/2006"), n), false
			}
		}
	}
	if j.CallCap > 0 {
		calls := 0
		for _, c := range e.req.History {
			if d := e.day(c.At); outbound(c) && c.Channel == Call && d <= today && d > today-j.CallCapDays {
				calls++
			}
		}
		if calls >= j.CallCap {
			return refuse(CodeCallCap7d, j.CallCapRule, "Ya se hicieron %d llamadas en %d días consecutivos; el máximo es %d.", calls, j.CallCapDays, j.CallCap), false
		}
	}
	return Decision{}, true
}

func (e *evaluator) day(t time.Time) int { return dayNumber(t.In(e.loc)) }

// next finds the earliest allowed instant after at. The allowed set only ever
// opens at a local midnight (day, holiday and cap changes) or at the start of
// a window, so those are the only candidates to test.
func (e *evaluator) next(at time.Time, horizon time.Duration) time.Time {
	end := at.Add(horizon)
	start := civil(at.In(e.loc))
	h, _ := e.j.hoursFor(e.req.Channel)
	for i := 0; ; i++ {
		day := start.AddDate(0, 0, i)
		midnight := firstInstant(day, 0, e.loc)
		if midnight.After(end) {
			return time.Time{}
		}
		cands := []time.Time{midnight}
		for _, w := range h.Week[day.Weekday()] {
			cands = append(cands, firstInstant(day, w.From, e.loc))
		}
		if pw := e.req.Consent.PreferredWindow; pw != nil {
			cands = append(cands, firstInstant(day, pw.From, e.loc))
		}
		slices.SortFunc(cands, time.Time.Compare)
		for _, c := range cands {
			if c.After(at) && !c.After(end) && e.at(c).Allowed {
				return c
			}
		}
	}
}

// firstInstant returns the earliest instant of a local civil day whose wall
// clock is at or after off. It steps over DST gaps (the window then opens at
// the transition) and picks the first of two repeated wall times.
func firstInstant(day time.Time, off time.Duration, loc *time.Location) time.Time {
	y, m, d := day.Date()
	t := time.Date(y, m, d, int(off/time.Hour), int(off%time.Hour/time.Minute), int(off%time.Minute/time.Second), int(off%time.Second), loc)
	target := [2]int64{int64(dayNumber(day)), int64(off)}
	got := func(t time.Time) [2]int64 {
		lt := t.In(loc)
		return [2]int64{int64(dayNumber(lt)), int64(wallClock(lt))}
	}
	switch g := got(t); {
	case g[0] < target[0] || g[0] == target[0] && g[1] < target[1]:
		if _, end := t.ZoneBounds(); !end.IsZero() {
			t = end
		}
	case g != target:
		if start, _ := t.ZoneBounds(); !start.IsZero() {
			t = start
		}
	}
	// Fall back: the same wall time may also exist in the previous zone.
	if start, _ := t.ZoneBounds(); !start.IsZero() {
		_, before := start.Add(-time.Nanosecond).Zone()
		_, now := t.Zone()
		if alt := t.Add(-time.Duration(before-now) * time.Second); before > now && alt.Before(start) && got(alt) == got(t) {
			t = alt
		}
	}
	return t
}

func outbound(c Contact) bool { return c.Direction != Inbound }

// wallClock is the wall-clock offset from midnight, not the time elapsed since
// it: on DST days the two differ.
func wallClock(lt time.Time) time.Duration {
	h, m, s := lt.Clock()
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(lt.Nanosecond())
}

// dayNumber numbers t's civil date (in t's location) from 1970-01-01.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(date(y, m, d).Unix() / 86400)
}

func refuse(code, rule, format string, args ...any) Decision {
	return Decision{Code: code, Rule: rule, Reason: fmt.Sprintf(format, args...)}
}

func weekdayName(d time.Weekday) string {
	return [...]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}[d]
}

func channelName(channel string) string {
	switch channel {
	case Call:
		return "llamada"
	case Email:
		return "correo electrónico"
	case WhatsApp:
		return "WhatsApp"
	case SMS:
		return "SMS"
	case Visit:
		return "visita"
	case Letter:
		return "carta"
	}
	return channel
}
