package compliance

import (
	"strings"
	"testing"
	"time"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// lt parses "2006-01-02 15:04:05" in loc.
func lt(loc *time.Location, s string) time.Time {
	v, err := time.ParseInLocation(time.DateTime, s, loc)
	if err != nil {
		panic(err)
	}
	return v
}

type checkCase struct {
	name string
	req  Request
	want string // decision code
	next string // local time in req.Loc (UTC when nil), "" for zero, "=" for req.At
	rule string // substring expected in Decision.Rule
	why  string // substring expected in Decision.Reason
}

func runChecks(t *testing.T, cases []checkCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			d := Check(tt.req)
			if d.Code != tt.want {
				t.Fatalf("code = %q (%s), want %q", d.Code, d.Reason, tt.want)
			}
			if allowed := tt.want == CodeOK || tt.want == CodeInbound; d.Allowed != allowed {
				t.Errorf("Allowed = %v, want %v", d.Allowed, allowed)
			}
			loc := tt.req.Loc
			if loc == nil {
				loc = time.UTC
			}
			var want time.Time
			switch tt.next {
			case "":
			case "=":
				want = tt.req.At
			default:
				want = lt(loc, tt.next)
			}
			if !d.Next.Equal(want) {
				t.Errorf("Next = %v, want %v", d.Next.In(loc), want)
			}
			if !d.Allowed && d.Reason == "" {
				t.Error("refusal without a reason")
			}
			if !strings.Contains(d.Rule, tt.rule) {
				t.Errorf("Rule = %q, want it to contain %q", d.Rule, tt.rule)
			}
			if !strings.Contains(d.Reason, tt.why) {
				t.Errorf("Reason = %q, want it to contain %q", d.Reason, tt.why)
			}
			if !d.Next.IsZero() && !d.Allowed {
				r := tt.req
				r.At = d.Next
				if again := Check(r); !again.Allowed {
					t.Errorf("Next %v is itself refused: %s", d.Next.In(loc), again.Code)
				}
			}
		})
	}
}

// mk builds an outbound request.
func mk(country string, loc *time.Location, at, channel string) Request {
	l := loc
	if l == nil {
		l = time.UTC
	}
	return Request{Country: country, Loc: loc, At: lt(l, at), Channel: channel, Direction: Outbound}
}

func with(r Request, f func(*Request)) Request { f(&r); return r }

func out(loc *time.Location, at, channel string) Contact {
	return Contact{At: lt(loc, at), Channel: channel, Direction: Outbound}
}

func window(from, to time.Duration) *Window { return &Window{from, to} }

func TestCheckColombia(t *testing.T) {
	bog := zone(t, "America/Bogota")
	co := func(at, ch string) Request {
		r := mk("CO", bog, at, ch)
		r.DefaultAuthorized = Channels()
		return r
	}
	hist := func(r Request, cs ...Contact) Request { r.History = cs; return r }
	ext := func(r Request, pw *Window) Request {
		r.Consent.ExtendedHours, r.Consent.PreferredWindow = true, pw
		return r
	}
	pref := func(r Request, pw *Window) Request { r.Consent.PreferredWindow = pw; return r }
	const ley = "Ley 2300 de 2023"
	runChecks(t, []checkCase{
		// Edges of the weekday and Saturday windows (2025-06-09 is a Monday).
		{name: "weekday 06:59:59 refused", req: co("2025-06-09 06:59:59", Call), want: CodeOutsideHours, next: "2025-06-09 07:00:00", rule: ley, why: "07:00 a 19:00"},
		{name: "weekday 07:00 allowed", req: co("2025-06-09 07:00:00", Call), want: CodeOK, next: "="},
		{name: "weekday 18:59:59 allowed", req: co("2025-06-09 18:59:59", Call), want: CodeOK, next: "="},
		{name: "weekday 19:00 refused, next morning", req: co("2025-06-09 19:00:00", Call), want: CodeOutsideHours, next: "2025-06-10 07:00:00"},
		{name: "weekday 23:59 refused", req: co("2025-06-10 23:59:00", WhatsApp), want: CodeOutsideHours, next: "2025-06-11 07:00:00"},
		{name: "Friday 19:00 next is Saturday 08:00", req: co("2025-06-13 19:00:00", Call), want: CodeOutsideHours, next: "2025-06-14 08:00:00"},
		{name: "Saturday 07:59:59 refused", req: co("2025-06-14 07:59:59", Call), want: CodeOutsideHours, next: "2025-06-14 08:00:00"},
		{name: "Saturday 08:00 allowed", req: co("2025-06-14 08:00:00", Call), want: CodeOK, next: "="},
		{name: "Saturday 14:59:59 allowed", req: co("2025-06-14 14:59:59", SMS), want: CodeOK, next: "="},
		{name: "Saturday 15:00 refused, skips Sunday", req: co("2025-06-14 15:00:00", Call), want: CodeOutsideHours, next: "2025-06-16 07:00:00"},
		{name: "Sunday refused", req: co("2025-06-15 10:00:00", Call), want: CodeSunday, next: "2025-06-16 07:00:00", why: "domingo"},
		{name: "Sunday email refused too", req: co("2025-06-15 10:00:00", Email), want: CodeSunday, next: "2025-06-16 07:00:00"},
		{name: "Sunday letter allowed (mail)", req: co("2025-06-15 23:00:00", Letter), want: CodeOK, next: "="},
		// Holidays.
		{name: "Emiliani Monday (San José moved to Mar 24)", req: co("2025-03-24 10:00:00", Call), want: CodeHoliday, next: "2025-03-25 07:00:00", why: "San José"},
		{name: "Mar 19 itself is a normal Wednesday", req: co("2025-03-19 10:00:00", Call), want: CodeOK, next: "="},
		{name: "Saturday 15:30 before Sunday and holiday Monday", req: co("2025-06-28 15:30:00", Visit), want: CodeOutsideHours, next: "2025-07-01 07:00:00"},
		{name: "Holy Thursday, Good Friday closed, Saturday opens", req: co("2025-04-17 10:00:00", Call), want: CodeHoliday, next: "2025-04-19 08:00:00"},
		{name: "holiday on a Sunday reports the holiday", req: co("2024-12-08 10:00:00", Call), want: CodeHoliday, next: "2024-12-09 07:00:00", why: "Inmaculada"},
		{name: "Christmas Eve evening to Dec 26", req: co("2025-12-24 19:00:00", Call), want: CodeOutsideHours, next: "2025-12-26 07:00:00"},
		// Inbound and consent.
		{name: "inbound always allowed", req: with(co("2025-06-15 23:00:00", Call), func(r *Request) { r.Direction = Inbound }), want: CodeInbound, next: "="},
		{name: "extended hours: Sunday night allowed", req: ext(co("2025-06-15 21:00:00", Call), nil), want: CodeOK, next: "="},
		{name: "extended hours: holiday allowed", req: ext(co("2025-03-24 06:00:00", Call), nil), want: CodeOK, next: "="},
		{name: "extended crossing window: 01:00 allowed", req: ext(co("2025-06-15 01:00:00", Call), window(hm(20, 0), hm(2, 0))), want: CodeOK, next: "="},
		{name: "extended crossing window: 10:00 waits for 20:00", req: ext(co("2025-06-16 10:00:00", Call), window(hm(20, 0), hm(2, 0))), want: CodeOutsideHours, next: "2025-06-16 20:00:00", rule: "Preferencia", why: "20:00–02:00"},
		{name: "extended crossing window: 02:00 is past the end", req: ext(co("2025-06-16 02:00:00", Call), window(hm(20, 0), hm(2, 0))), want: CodeOutsideHours, next: "2025-06-16 20:00:00"},
		{name: "preferred window narrows the legal one", req: pref(co("2025-06-09 10:00:00", Call), window(hm(12, 0), hm(14, 0))), want: CodeOutsideHours, next: "2025-06-09 12:00:00", rule: ley},
		{name: "preferred window end rolls to next day", req: pref(co("2025-06-09 14:00:00", Call), window(hm(12, 0), hm(14, 0))), want: CodeOutsideHours, next: "2025-06-10 12:00:00"},
		{name: "preferred crossing window meets legal at 18:30", req: pref(co("2025-06-09 18:30:00", Call), window(hm(18, 0), hm(8, 0))), want: CodeOK, next: "="},
		{name: "preferred crossing window: legal end wins, next 07:00", req: pref(co("2025-06-09 19:00:00", Call), window(hm(18, 0), hm(8, 0))), want: CodeOutsideHours, next: "2025-06-10 07:00:00"},
		{name: "preferred crossing window from Saturday: Monday 07:00", req: pref(co("2025-06-14 15:00:00", Call), window(hm(18, 0), hm(8, 0))), want: CodeOutsideHours, next: "2025-06-16 07:00:00"},
		{name: "preferred window disjoint from legal hours: never", req: pref(co("2025-06-09 10:00:00", Call), window(hm(20, 0), hm(23, 0))), want: CodeOutsideHours, next: ""},
		{name: "preferred window does not restrict letters", req: pref(co("2025-06-09 10:00:00", Letter), window(hm(20, 0), hm(23, 0))), want: CodeOK, next: "="},
		// Daily and weekly limits.
		{name: "second contact same day refused", req: hist(co("2025-06-09 10:00:00", Email), out(bog, "2025-06-09 08:00:00", Email)), want: CodeDailyCap, next: "2025-06-10 07:00:00", rule: ley},
		{name: "daily cap then weekly channel: next Monday", req: hist(co("2025-06-09 10:00:00", Call), out(bog, "2025-06-09 08:00:00", Email)), want: CodeDailyCap, next: "2025-06-16 07:00:00"},
		{name: "other channel later in the week refused", req: hist(co("2025-06-11 10:00:00", Call), out(bog, "2025-06-09 08:00:00", Email)), want: CodeWeeklyChannel, next: "2025-06-16 07:00:00", why: "correo electrónico"},
		{name: "same channel later in the week allowed", req: hist(co("2025-06-11 10:00:00", Email), out(bog, "2025-06-09 08:00:00", Email)), want: CodeOK, next: "="},
		{name: "first channel of the week wins", req: hist(co("2025-06-11 10:00:00", Call), out(bog, "2025-06-10 08:00:00", Call), out(bog, "2025-06-09 08:00:00", Email)), want: CodeWeeklyChannel, next: "2025-06-16 07:00:00"},
		{name: "new calendar week resets the channel", req: hist(co("2025-06-16 09:00:00", Email), out(bog, "2025-06-14 09:00:00", WhatsApp)), want: CodeOK, next: "="},
		{name: "weekly channel next skips a holiday Monday", req: hist(co("2025-06-25 10:00:00", Call), out(bog, "2025-06-24 08:00:00", Email)), want: CodeWeeklyChannel, next: "2025-07-01 07:00:00"},
		{name: "inbound contacts count for nothing", req: hist(co("2025-06-09 10:00:00", Email), Contact{At: lt(bog, "2025-06-09 08:00:00"), Channel: Call, Direction: Inbound}), want: CodeOK, next: "="},
		{name: "letters count for nothing", req: hist(co("2025-06-09 10:00:00", Call), out(bog, "2025-06-09 08:00:00", Letter)), want: CodeOK, next: "="},
		{name: "local day, not UTC day: 23:30 contact does not block next morning", req: hist(co("2025-06-10 08:00:00", Email), out(bog, "2025-06-09 23:30:00", Email)), want: CodeOK, next: "="},
		{name: "local day, not UTC day: 20:00 is still Monday", req: hist(ext(co("2025-06-09 20:00:00", Email), nil), out(bog, "2025-06-09 09:00:00", Email)), want: CodeDailyCap, next: "2025-06-10 00:00:00"},
		// Authorization, opt-out, third parties.
		{name: "channel not authorized", req: with(co("2025-06-09 10:00:00", Call), func(r *Request) {
			r.Consent.Channels = map[string]ChannelConsent{Email: {Authorized: true}}
		}), want: CodeChannelNotAuthorized, next: "", rule: ley, why: "llamada"},
		{name: "consent entries override defaults", req: with(co("2025-06-09 10:00:00", Call), func(r *Request) {
			r.Consent.Channels = map[string]ChannelConsent{Call: {Authorized: false, How: "formulario"}}
		}), want: CodeChannelNotAuthorized, next: ""},
		{name: "defaults used when consent is empty", req: with(co("2025-06-09 10:00:00", Call), func(r *Request) { r.DefaultAuthorized = []string{Email, Call} }), want: CodeOK, next: "="},
		{name: "channel missing from defaults", req: with(co("2025-06-09 10:00:00", WhatsApp), func(r *Request) { r.DefaultAuthorized = []string{Email, Call} }), want: CodeChannelNotAuthorized, next: ""},
		{name: "letters need authorization too", req: with(co("2025-06-09 10:00:00", Letter), func(r *Request) { r.DefaultAuthorized = []string{Email} }), want: CodeChannelNotAuthorized, next: ""},
		{name: "no consent and no defaults", req: with(co("2025-06-09 10:00:00", Email), func(r *Request) { r.DefaultAuthorized = nil }), want: CodeChannelNotAuthorized, next: ""},
		{name: "opted out", req: with(co("2025-06-09 10:00:00", Email), func(r *Request) {
			r.Consent.Channels = map[string]ChannelConsent{Email: {Authorized: true, OptedOut: true}}
		}), want: CodeOptedOut, next: ""},
		{name: "third party refused", req: with(co("2025-06-09 10:00:00", Call), func(r *Request) { r.ThirdParty = true }), want: CodeThirdParty, next: ""},
		{name: "no zone: Colombia's fixed -05 is used", req: with(mk("CO", nil, "2025-06-09 11:59:59", Call), func(r *Request) { r.DefaultAuthorized = []string{Call} }), want: CodeOutsideHours, next: "2025-06-09 12:00:00"},
		{name: "lower-case country", req: with(co("2025-06-09 10:00:00", Call), func(r *Request) { r.Country = "co" }), want: CodeOK, next: "="},
	})
}

func TestCheckMexico(t *testing.T) {
	cdmx := zone(t, "America/Mexico_City")
	mx := func(at, ch string) Request { return mk("MX", cdmx, at, ch) }
	runChecks(t, []checkCase{
		{name: "call 06:59:59 refused", req: mx("2025-06-15 06:59:59", Call), want: CodeOutsideHours, next: "2025-06-15 07:00:00", rule: "CONDUSEF"},
		{name: "call Sunday 07:00 allowed", req: mx("2025-06-15 07:00:00", Call), want: CodeOK, next: "="},
		{name: "call 21:59:59 allowed", req: mx("2025-06-15 21:59:59", Call), want: CodeOK, next: "="},
		{name: "call 22:00 refused", req: mx("2025-06-15 22:00:00", Call), want: CodeOutsideHours, next: "2025-06-16 07:00:00"},
		{name: "visit 22:30 refused", req: mx("2025-06-16 22:30:00", Visit), want: CodeOutsideHours, next: "2025-06-17 07:00:00"},
		{name: "holidays do not close", req: mx("2025-09-16 10:00:00", Call), want: CodeOK, next: "="},
		{name: "email at night not restricted", req: mx("2025-06-15 23:30:00", Email), want: CodeOK, next: "="},
		{name: "sms at night not restricted", req: mx("2025-06-15 23:30:00", SMS), want: CodeOK, next: "="},
		{name: "no authorization needed", req: mx("2025-06-16 10:00:00", WhatsApp), want: CodeOK, next: "="},
		{name: "no daily cap", req: with(mx("2025-06-16 10:00:00", Call), func(r *Request) { r.History = []Contact{out(cdmx, "2025-06-16 08:00:00", Email)} }), want: CodeOK, next: "="},
		{name: "extended hours not honoured", req: with(mx("2025-06-16 23:00:00", Call), func(r *Request) { r.Consent.ExtendedHours = true }), want: CodeOutsideHours, next: "2025-06-17 07:00:00"},
		{name: "third party refused", req: with(mx("2025-06-16 10:00:00", Call), func(r *Request) { r.ThirdParty = true }), want: CodeThirdParty, next: "", rule: "CONDUSEF"},
		{name: "opted out", req: with(mx("2025-06-16 10:00:00", SMS), func(r *Request) { r.Consent.Channels = map[string]ChannelConsent{SMS: {OptedOut: true}} }), want: CodeOptedOut, next: ""},
		{name: "no zone: several zones, refused", req: mk("MX", nil, "2025-06-16 16:00:00", Call), want: CodeUnknownTimezone, next: ""},
	})
}

func TestCheckPeru(t *testing.T) {
	lima := zone(t, "America/Lima")
	pe := func(at, ch string) Request { return mk("PE", lima, at, ch) }
	const ley = "Ley 29571"
	runChecks(t, []checkCase{
		{name: "06:59:59 refused", req: pe("2025-06-09 06:59:59", Call), want: CodeOutsideHours, next: "2025-06-09 07:00:00", rule: ley},
		{name: "07:00 allowed", req: pe("2025-06-09 07:00:00", Call), want: CodeOK, next: "="},
		{name: "19:59:59 allowed", req: pe("2025-06-09 19:59:59", Visit), want: CodeOK, next: "="},
		{name: "20:00 refused", req: pe("2025-06-09 20:00:00", Call), want: CodeOutsideHours, next: "2025-06-10 07:00:00"},
		{name: "Friday 20:00 waits for Monday", req: pe("2025-06-13 20:00:00", Call), want: CodeOutsideHours, next: "2025-06-16 07:00:00"},
		{name: "Saturday refused", req: pe("2025-06-14 10:00:00", Call), want: CodeSaturday, next: "2025-06-16 07:00:00", why: "sábado"},
		{name: "Sunday refused", req: pe("2025-06-15 10:00:00", SMS), want: CodeSunday, next: "2025-06-16 07:00:00"},
		{name: "WhatsApp on Saturday refused", req: pe("2025-06-14 10:00:00", WhatsApp), want: CodeSaturday, next: "2025-06-16 07:00:00"},
		{name: "email on Saturday not restricted", req: pe("2025-06-14 10:00:00", Email), want: CodeOK, next: "="},
		{name: "letter on Sunday", req: pe("2025-06-15 10:00:00", Letter), want: CodeOK, next: "="},
		{name: "Fiestas Patrias Monday and Tuesday", req: pe("2025-07-28 10:00:00", Call), want: CodeHoliday, next: "2025-07-30 07:00:00", why: "Fiestas Patrias"},
		{name: "Jun 7 2024 is a holiday", req: pe("2024-06-07 10:00:00", Call), want: CodeHoliday, next: "2024-06-10 07:00:00"},
		{name: "Jun 7 2023 was not", req: pe("2023-06-07 10:00:00", Call), want: CodeOK, next: "="},
		{name: "extended hours not honoured", req: with(pe("2025-06-14 10:00:00", Call), func(r *Request) { r.Consent.ExtendedHours = true }), want: CodeSaturday, next: "2025-06-16 07:00:00"},
		{name: "third party not modelled in Peru", req: with(pe("2025-06-09 10:00:00", Call), func(r *Request) { r.ThirdParty = true }), want: CodeOK, next: "="},
		{name: "no zone: Peru's fixed -05 is used", req: mk("PE", nil, "2025-06-09 12:00:00", Call), want: CodeOK, next: "="},
	})
}

// Bogotá and Lima share the offset; the same instant differs by jurisdiction.
func TestCheckSameInstantColombiaPeru(t *testing.T) {
	at := time.Date(2025, 6, 14, 14, 0, 0, 0, time.UTC) // Saturday 09:00 in both
	co := Check(Request{Country: "CO", Loc: zone(t, "America/Bogota"), At: at, Channel: Call, DefaultAuthorized: []string{Call}})
	pe := Check(Request{Country: "PE", Loc: zone(t, "America/Lima"), At: at, Channel: Call})
	if !co.Allowed || pe.Allowed || pe.Code != CodeSaturday {
		t.Errorf("CO %s, PE %s", co.Code, pe.Code)
	}
}

func TestCheckUnitedStates(t *testing.T) {
	ny, la := zone(t, "America/New_York"), zone(t, "America/Los_Angeles")
	us := func(at, ch string) Request { return mk("US", ny, at, ch) }
	calls := func(r Request, ats ...string) Request {
		for _, a := range ats {
			r.History = append(r.History, out(ny, a, Call))
		}
		return r
	}
	week := []string{"2024-06-03 10:00:00", "2024-06-04 10:00:00", "2024-06-05 10:00:00", "2024-06-06 10:00:00", "2024-06-06 15:00:00", "2024-06-07 10:00:00", "2024-06-07 15:00:00"}
	talk := func(r Request, dir string) Request {
		r.History = append(r.History, Contact{At: lt(ny, "2024-06-03 14:00:00"), Channel: Call, Direction: dir, Conversation: true})
		return r
	}
	utc := func(r Request) Request { r.At = r.At.UTC(); return r }
	runChecks(t, []checkCase{
		{name: "07:59:59 refused", req: us("2024-06-03 07:59:59", Call), want: CodeOutsideHours, next: "2024-06-03 08:00:00", rule: "1006.6(b)(1)"},
		{name: "08:00 allowed", req: us("2024-06-03 08:00:00", Call), want: CodeOK, next: "="},
		{name: "20:59:59 allowed", req: us("2024-06-03 20:59:59", SMS), want: CodeOK, next: "="},
		{name: "21:00 refused", req: us("2024-06-03 21:00:00", Email), want: CodeOutsideHours, next: "2024-06-04 08:00:00"},
		{name: "Sunday allowed", req: us("2024-06-02 10:00:00", Call), want: CodeOK, next: "="},
		{name: "Christmas not closed", req: us("2024-12-25 10:00:00", Call), want: CodeOK, next: "="},
		{name: "letter at night", req: us("2024-06-03 23:00:00", Letter), want: CodeOK, next: "="},
		{name: "consent to call at night", req: with(us("2024-06-03 22:00:00", Call), func(r *Request) { r.Consent.ExtendedHours = true }), want: CodeOK, next: "="},
		// DST: the next window opens at 08:00 wall clock, whatever the offset.
		{name: "spring forward: 08:00 EDT is 12:00Z", req: us("2024-03-09 21:30:00", Call), want: CodeOutsideHours, next: "2024-03-10 08:00:00"},
		{name: "fall back: 08:00 EST is 13:00Z", req: us("2024-11-02 21:30:00", Call), want: CodeOutsideHours, next: "2024-11-03 08:00:00"},
		{name: "spring forward: window start in the gap opens at 03:00 EDT", req: with(us("2024-03-10 01:00:00", Call), func(r *Request) {
			r.Consent.ExtendedHours, r.Consent.PreferredWindow = true, window(hm(2, 30), hm(5, 0))
		}), want: CodeOutsideHours, next: "2024-03-10 03:00:00"},
		{name: "fall back: repeated window start opens at the first 01:30", req: with(us("2024-11-03 00:00:00", Call), func(r *Request) {
			r.Consent.ExtendedHours, r.Consent.PreferredWindow = true, window(hm(1, 30), hm(4, 0))
		}), want: CodeOutsideHours, next: "2024-11-03 01:30:00"},
		// Time zones: one instant, two consumers.
		{name: "12:30Z is 08:30 in New York", req: utc(us("2024-06-03 08:30:00", Call)), want: CodeOK, next: "="},
		{name: "12:30Z is 05:30 in Los Angeles", req: utc(with(us("2024-06-03 08:30:00", Call), func(r *Request) { r.Loc = la })), want: CodeOutsideHours, next: "2024-06-03 08:00:00"},
		// 7 calls in 7 days.
		{name: "7th call allowed", req: calls(us("2024-06-08 10:00:00", Call), week[:6]...), want: CodeOK, next: "="},
		{name: "8th call refused until the oldest leaves the window", req: calls(us("2024-06-08 10:00:00", Call), week...), want: CodeCallCap7d, next: "2024-06-10 08:00:00", rule: "1006.14(b)(2)"},
		{name: "8th call at 07:00 on day 8 waits for 08:00", req: calls(us("2024-06-10 07:00:00", Call), week...), want: CodeOutsideHours, next: "2024-06-10 08:00:00"},
		{name: "calls older than 7 days do not count", req: calls(us("2024-06-08 10:00:00", Call), append([]string{"2024-06-01 10:00:00"}, week[1:]...)...), want: CodeOK, next: "="},
		{name: "email is not a call", req: calls(us("2024-06-08 10:00:00", Email), week...), want: CodeOK, next: "="},
		{name: "inbound calls do not count", req: with(calls(us("2024-06-08 10:00:00", Call), week[:6]...), func(r *Request) {
			r.History = append(r.History, Contact{At: lt(ny, "2024-06-07 16:00:00"), Channel: Call, Direction: Inbound})
		}), want: CodeOK, next: "="},
		// 7 days after a conversation.
		{name: "call on day 7 after a conversation refused", req: talk(us("2024-06-09 20:00:00", Call), Outbound), want: CodeCallAfterConversation, next: "2024-06-10 08:00:00", rule: "1006.14(b)(2)(i)(B)", why: "03/06/2024"},
		{name: "call on day 8 allowed", req: talk(us("2024-06-10 08:00:00", Call), Outbound), want: CodeOK, next: "="},
		{name: "conversation on an inbound call counts", req: talk(us("2024-06-04 10:00:00", Call), Inbound), want: CodeCallAfterConversation, next: "2024-06-10 08:00:00"},
		{name: "email after a conversation allowed", req: talk(us("2024-06-04 10:00:00", Email), Outbound), want: CodeOK, next: "="},
		{name: "no daily cap or weekly channel in the US", req: with(us("2024-06-04 10:00:00", SMS), func(r *Request) {
			r.History = []Contact{out(ny, "2024-06-04 09:00:00", Email), out(ny, "2024-06-04 09:30:00", Call)}
		}), want: CodeOK, next: "="},
		{name: "SMS opt-out honoured", req: with(us("2024-06-04 10:00:00", SMS), func(r *Request) { r.Consent.Channels = map[string]ChannelConsent{SMS: {OptedOut: true, How: "STOP"}} }), want: CodeOptedOut, next: "", rule: "1006.6(e)"},
		{name: "no authorization needed", req: with(us("2024-06-04 10:00:00", Email), func(r *Request) { r.Consent.Channels = map[string]ChannelConsent{Call: {Authorized: true}} }), want: CodeOK, next: "="},
		{name: "no zone: refused", req: mk("US", nil, "2024-06-04 15:00:00", Call), want: CodeUnknownTimezone, next: ""},
	})
}

func TestCheckUnknowns(t *testing.T) {
	runChecks(t, []checkCase{
		{name: "unknown country", req: mk("AR", time.UTC, "2025-06-09 10:00:00", Call), want: CodeUnknownJurisdiction, next: ""},
		{name: "unknown channel", req: mk("US", time.UTC, "2025-06-09 10:00:00", "fax"), want: CodeUnknownChannel, next: ""},
		{name: "empty direction is outbound", req: with(mk("US", time.UTC, "2025-06-09 22:00:00", Call), func(r *Request) { r.Direction = "" }), want: CodeOutsideHours, next: "2025-06-10 08:00:00"},
	})
}

func TestCheckerHorizonAndCustomRules(t *testing.T) {
	bog := zone(t, "America/Bogota")
	req := mk("CO", bog, "2025-06-14 15:00:00", Call) // Saturday; next is Monday 07:00
	req.DefaultAuthorized = []string{Call, Email}
	short := Checker{Horizon: 24 * time.Hour, Calendar: NewCalendar()}
	if d := short.Check(req); d.Allowed || !d.Next.IsZero() {
		t.Errorf("24h horizon: %+v", d)
	}
	if got, want := short.NextAllowed(req), (time.Time{}); !got.Equal(want) {
		t.Errorf("NextAllowed = %v", got)
	}
	if got, want := NextAllowed(req), lt(bog, "2025-06-16 07:00:00"); !got.Equal(want) {
		t.Errorf("NextAllowed = %v, want %v", got, want)
	}

	co, _ := Lookup("CO")
	co.DailyCap, co.OneChannelPerWeek = 2, false
	custom := Checker{Jurisdictions: map[string]Jurisdiction{"CO": co}}
	req = mk("CO", bog, "2025-06-09 10:00:00", Call)
	req.DefaultAuthorized = []string{Call, Email}
	req.History = []Contact{out(bog, "2025-06-09 08:00:00", Email)}
	if d := custom.Check(req); !d.Allowed {
		t.Errorf("cap 2: %s", d.Code)
	}
	req.History = append(req.History, out(bog, "2025-06-09 09:00:00", Email))
	if d := custom.Check(req); d.Code != CodeDailyCap {
		t.Errorf("cap 2 reached: %s", d.Code)
	}
	if d := custom.Check(mk("US", time.UTC, "2025-06-09 10:00:00", Call)); d.Code != CodeUnknownJurisdiction {
		t.Errorf("custom table must replace the built-in one: %s", d.Code)
	}
	// Lookup hands out fresh values: the change above must not leak.
	if again, _ := Lookup("CO"); again.DailyCap != 1 || !again.OneChannelPerWeek {
		t.Error("Lookup returned shared state")
	}
}

// TestNextAllowedMinuteByMinute checks, for every minute of a span, that
// Check agrees with an independent statement of the rule and that Next is the
// first allowed minute after a refused one (all window edges fall on minutes).
func TestNextAllowedMinuteByMinute(t *testing.T) {
	bog, lima, ny := zone(t, "America/Bogota"), zone(t, "America/Lima"), zone(t, "America/New_York")
	tests := []struct {
		name  string
		base  Request
		from  time.Time
		days  int
		legal func(lt time.Time) bool
	}{
		{
			name: "CO week with Emiliani Monday",
			base: Request{Country: "CO", Loc: bog, Channel: Call, DefaultAuthorized: []string{Call}},
			from: lt(bog, "2025-03-22 00:00:00"), days: 5,
			legal: func(lt time.Time) bool {
				h := lt.Hour()
				switch wd := lt.Weekday(); {
				case lt.Month() == 3 && lt.Day() == 24:
					return false
				case wd == time.Saturday:
					return h >= 8 && h < 15
				case wd == time.Sunday:
					return false
				default:
					return h >= 7 && h < 19
				}
			},
		},
		{
			name: "PE week with Fiestas Patrias",
			base: Request{Country: "PE", Loc: lima, Channel: SMS},
			from: lt(lima, "2025-07-25 00:00:00"), days: 6,
			legal: func(lt time.Time) bool {
				wd, h := lt.Weekday(), lt.Hour()
				return wd != time.Saturday && wd != time.Sunday && lt.Day() != 28 && lt.Day() != 29 && h >= 7 && h < 20
			},
		},
		{
			name: "US across spring forward with 7 calls in the window",
			base: Request{Country: "US", Loc: ny, Channel: Call, History: []Contact{
				out(ny, "2024-03-05 09:00:00", Call), out(ny, "2024-03-05 10:00:00", Call), out(ny, "2024-03-06 09:00:00", Call),
				out(ny, "2024-03-07 09:00:00", Call), out(ny, "2024-03-07 10:00:00", Call), out(ny, "2024-03-08 09:00:00", Call),
				out(ny, "2024-03-09 09:00:00", Call),
			}},
			from: lt(ny, "2024-03-09 00:00:00"), days: 4,
			legal: func(lt time.Time) bool {
				// Calls on Mar 5 leave the 7-day window on Mar 12.
				return lt.Day() >= 12 && lt.Hour() >= 8 && lt.Hour() < 21
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Checker{Calendar: NewCalendar()}
			n := tt.days * 24 * 60
			ats := make([]time.Time, n)
			allowed := make([]bool, n)
			for i := range ats {
				ats[i] = tt.from.Add(time.Duration(i) * time.Minute)
				r := tt.base
				r.At = ats[i]
				allowed[i] = c.Check(r).Allowed
				if want := tt.legal(ats[i].In(tt.base.Loc)); allowed[i] != want {
					t.Fatalf("%v: allowed = %v, want %v", ats[i].In(tt.base.Loc), allowed[i], want)
				}
			}
			next := time.Time{}
			for i := n - 1; i >= 0; i-- {
				if allowed[i] {
					next = ats[i]
					continue
				}
				if next.IsZero() {
					continue // the answer lies beyond the span
				}
				r := tt.base
				r.At = ats[i]
				if got := c.Check(r).Next; !got.Equal(next) {
					t.Fatalf("%v: Next = %v, want %v", ats[i].In(tt.base.Loc), got.In(tt.base.Loc), next.In(tt.base.Loc))
				}
			}
		})
	}
}

func TestFirstInstant(t *testing.T) {
	ny, santiago := zone(t, "America/New_York"), zone(t, "America/Santiago")
	tests := []struct {
		name string
		day  time.Time
		off  time.Duration
		loc  *time.Location
		want time.Time
	}{
		{"ordinary", date(2024, 6, 3), hm(8, 0), ny, time.Date(2024, 6, 3, 12, 0, 0, 0, time.UTC)},
		{"NY gap 02:30 -> 03:00 EDT", date(2024, 3, 10), hm(2, 30), ny, time.Date(2024, 3, 10, 7, 0, 0, 0, time.UTC)},
		{"NY repeated 01:30 -> first (EDT)", date(2024, 11, 3), hm(1, 30), ny, time.Date(2024, 11, 3, 5, 30, 0, 0, time.UTC)},
		{"Santiago midnight in the gap -> 01:00", date(2024, 9, 8), 0, santiago, time.Date(2024, 9, 8, 4, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := firstInstant(tt.day, tt.off, tt.loc); !got.Equal(tt.want) {
			t.Errorf("%s: got %v (%v), want %v", tt.name, got.UTC(), got.In(tt.loc), tt.want)
		}
	}
}
