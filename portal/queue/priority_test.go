package queue

import (
	"reflect"
	"testing"
)

func TestScore(t *testing.T) {
	base := Factors{Currency: "COP", Locale: "es-CO", ValidContacts: 2, Channels: 2}
	with := func(f func(*Factors)) Factors { c := base; f(&c); return c }
	cases := []struct {
		name    string
		f       Factors
		score   int
		reasons []string
	}{
		{"small balance, not due yet", with(func(f *Factors) { f.Balance = 4_000_000; f.DaysPastDue = -5 }), 8 + 4,
			[]string{"saldo: $ 40.000,00", "vence en 5 días", "contactable por 2 canales"}},
		{"high balance 45 days late", with(func(f *Factors) { f.Balance = 1_200_000_000; f.DaysPastDue = 45 }), 27 + 7 + 4,
			[]string{"saldo alto: $ 12.000.000,00", "45 días de mora", "contactable por 2 canales"}},
		{"three broken promises", with(func(f *Factors) { f.Balance = 100_000_000; f.DaysPastDue = 1; f.BrokenPromises = 3 }), 19 + 0 + 24 + 6 + 4,
			[]string{"saldo: $ 1.000.000,00", "1 día de mora", "3 promesas incumplidas", "alerta: incumple promesas repetidamente", "contactable por 2 canales"}},
		{"one broken promise, unanswered calls", with(func(f *Factors) { f.Balance = 100_000_000; f.BrokenPromises = 1; f.UnansweredCalls = 4 }), 19 + 8 + 6 + 4,
			[]string{"saldo: $ 1.000.000,00", "vence hoy", "1 promesa incumplida", "alerta: 4 llamadas sin respuesta seguidas", "contactable por 2 canales"}},
		{"days late cap at 180", with(func(f *Factors) { f.Balance = 100_000_000; f.DaysPastDue = 400 }), 19 + 30 + 4,
			[]string{"saldo: $ 1.000.000,00", "400 días de mora", "contactable por 2 canales"}},
		{"no valid contact", with(func(f *Factors) { f.Balance = 100_000_000; f.DaysPastDue = 60; f.ValidContacts = 0 }), 19 + 10 - 15,
			[]string{"saldo: $ 1.000.000,00", "60 días de mora", "sin datos de contacto válidos"}},
		{"every channel closed", with(func(f *Factors) { f.Balance = 100_000_000; f.DaysPastDue = 60; f.Channels = 0 }), 19 + 10 - 10,
			[]string{"saldo: $ 1.000.000,00", "60 días de mora", "sin canal autorizado por el deudor"}},
		{"never below zero", with(func(f *Factors) { f.Balance = 100; f.ValidContacts = 0 }), 0,
			[]string{"saldo: $ 1,00", "vence hoy", "sin datos de contacto válidos"}},
		{"VIP segment", with(func(f *Factors) { f.Balance = 100_000_000; f.Segment = " VIP " }), 19 + 4 + 10,
			[]string{"saldo: $ 1.000.000,00", "vence hoy", "contactable por 2 canales", "segmento VIP"}},
		{"unknown segment counts nothing", with(func(f *Factors) { f.Balance = 100_000_000; f.Segment = "otros" }), 19 + 4,
			[]string{"saldo: $ 1.000.000,00", "vence hoy", "contactable por 2 canales"}},
		{"dollars: the same scale", Factors{Currency: "USD", Locale: "en-US", Balance: 1_200_000, ValidContacts: 1, Channels: 1, DaysPastDue: 6}, 32 + 1 + 4,
			[]string{"high balance: $12,000.00", "6 days past due", "reachable on 1 channel"}},
		{"balance cap", with(func(f *Factors) { f.Balance = 4_000_000_000_000 }), 35 + 4,
			[]string{"saldo alto: $ 40.000.000.000,00", "vence hoy", "contactable por 2 canales"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, r := Score(c.f)
			if s != c.score || !reflect.DeepEqual(r, c.reasons) {
				t.Fatalf("Score = %d %q, want %d %q", s, r, c.score, c.reasons)
			}
		})
	}
	// Monotone: more days late or more broken promises never lower the score.
	prev := -1
	for d := 0; d <= 200; d += 10 {
		s, _ := Score(with(func(f *Factors) { f.Balance = 50_000_000; f.DaysPastDue = d }))
		if s < prev {
			t.Fatalf("score fell from %d to %d at %d days", prev, s, d)
		}
		prev = s
	}
}
