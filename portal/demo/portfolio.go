package demo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"
)

// portfolio writes a realistic Colombian portfolio as a semicolon CSV, the
// way Excel on Spanish Windows exports it: a few hundred invoices over about
// 120 debtors, due dates from next month back to over a year ago.
func portfolio(today time.Time) []byte {
	rng := rand.New(rand.NewPCG(2026, 11))
	firstNames := []string{"Andrés", "Camila", "Juan", "María", "Luis", "Valentina", "Carlos", "Daniela", "Jorge", "Paula", "Sebastián", "Natalia"}
	lastNames := []string{"Gómez", "Rodríguez", "Martínez", "López", "García", "Pérez", "Hernández", "Díaz", "Moreno", "Muñoz", "Rojas", "Vargas"}
	companies := []string{"Ferretería", "Distribuidora", "Droguería", "Panadería", "Supermercado", "Almacén", "Comercializadora", "Papelería"}
	places := []string{"El Progreso", "La Esperanza", "San José", "Los Andes", "La 80", "Santa Fe", "El Prado", "Del Valle"}
	cities := []string{"Bogotá", "Medellín", "Cali", "Barranquilla", "Bucaramanga", "Pereira", "Cartagena", "Manizales"}
	segments := []string{"mayorista", "minorista", "institucional"}
	var b bytes.Buffer
	b.WriteString("NIT;Razón social;Factura;Fecha factura;Fecha vencimiento;Saldo;Correo;Celular;Dirección;Ciudad;Segmento;Descripción\n")
	inv := 10000
	for d := 0; d < 120; d++ {
		var doc, name string
		if d%3 == 0 {
			doc = fmt.Sprintf("9%08d", 100000+rng.IntN(899999))
			name = fmt.Sprintf("%s %s S.A.S.", companies[rng.IntN(len(companies))], places[rng.IntN(len(places))])
		} else {
			doc = fmt.Sprintf("%d", 10000000+rng.IntN(89999999))
			name = fmt.Sprintf("%s %s %s", firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))], lastNames[rng.IntN(len(lastNames))])
		}
		email := fmt.Sprintf("cartera%d@ejemplo.co", d)
		phone := fmt.Sprintf("3%02d%07d", rng.IntN(30)+0, rng.IntN(9999999))
		city := cities[rng.IntN(len(cities))]
		seg := segments[rng.IntN(len(segments))]
		for k := 0; k < 1+rng.IntN(4); k++ {
			inv++
			// Ages spread over the whole ladder: not yet due to more than a year late.
			age := rng.IntN(420) - 30
			due := today.AddDate(0, 0, -age)
			issued := due.AddDate(0, 0, -30)
			amount := int64(50_000+rng.IntN(12_000_000)) * 100 / 100 * 100 // whole pesos, in centavos
			fmt.Fprintf(&b, "%s;%s;FV-%d;%s;%s;%s;%s;%s;Calle %d # %d-%d;%s;%s;%s\n",
				doc, name, inv, issued.Format("02/01/2006"), due.Format("02/01/2006"), pesos(amount),
				email, phone, 10+rng.IntN(120), rng.IntN(90), rng.IntN(99), city, seg, "Suministros según pedido")
		}
	}
	return b.Bytes()
}

// pesos writes centavos as es-CO text: 1.234.567,00.
func pesos(minor int64) string {
	whole, cents := minor/100, minor%100
	s := fmt.Sprintf("%d", whole)
	var out []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, c)
	}
	return fmt.Sprintf("%s,%02d", out, cents)
}
