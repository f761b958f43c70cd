package demo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"
)

// coPortfolio writes a batch of a Colombian client's portfolio as a
// semicolon CSV, the way Excel on Spanish Windows exports it: in invoice
// order, debtors spread over the file, dates day first, amounts in es-CO.
// Batch 0 is the backlog the client hands over first (invoices up to a year
// late); later batches are the month's new arrears.
func coPortfolio(rng *rand.Rand, batch int, today time.Time) []byte {
	firstNames := []string{"Andrés", "Camila", "Juan", "María", "Luis", "Valentina", "Carlos", "Daniela", "Jorge", "Paula", "Sebastián", "Natalia"}
	lastNames := []string{"Gómez", "Rodríguez", "Martínez", "López", "García", "Pérez", "Hernández", "Díaz", "Moreno", "Muñoz", "Rojas", "Vargas"}
	companies := []string{"Ferretería", "Distribuidora", "Droguería", "Panadería", "Supermercado", "Almacén", "Comercializadora", "Papelería"}
	places := []string{"El Progreso", "La Esperanza", "San José", "Los Andes", "La 80", "Santa Fe", "El Prado", "Del Valle"}
	cities := []string{"Bogotá", "Medellín", "Cali", "Barranquilla", "Bucaramanga", "Pereira", "Cartagena", "Manizales"}
	segments := []string{"mayorista", "minorista", "institucional"}
	contacts := []string{"Tesorería", "Cuentas por pagar", "Gerencia", "Contabilidad"}
	debtors, maxAge := 12, 75
	if batch == 0 {
		debtors, maxAge = 24, 360
	}
	type row struct{ line string }
	var rows []row
	for d := 0; d < debtors; d++ {
		var doc, name, person, role string
		if d%3 == 0 {
			doc = fmt.Sprintf("9%08d", 100000+rng.IntN(899999))
			name = fmt.Sprintf("%s %s S.A.S.", companies[rng.IntN(len(companies))], places[rng.IntN(len(places))])
			person = firstNames[rng.IntN(len(firstNames))] + " " + lastNames[rng.IntN(len(lastNames))]
			role = contacts[rng.IntN(len(contacts))]
		} else {
			doc = fmt.Sprintf("%d", 10000000+rng.IntN(89999999))
			name = fmt.Sprintf("%s %s %s", firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))], lastNames[rng.IntN(len(lastNames))])
		}
		email := fmt.Sprintf("cartera%d.%d@ejemplo.co", batch, d)
		if rng.IntN(12) == 0 {
			email = fmt.Sprintf("pagos%d.%d@rebota.example", batch, d) // bounces: failed messages in the outbox
		}
		phone := fmt.Sprintf("3%02d%07d", rng.IntN(30), rng.IntN(9999999))
		city := cities[rng.IntN(len(cities))]
		seg := segments[rng.IntN(len(segments))]
		for k := 0; k < 1+rng.IntN(3); k++ {
			age := rng.IntN(maxAge+15) - 15 // a few not yet due: the courtesy call
			due := today.AddDate(0, 0, -age)
			issued := due.AddDate(0, 0, -30)
			amount := int64(80_000+rng.IntN(9_000_000)) * 100 // whole pesos, in centavos
			rows = append(rows, row{fmt.Sprintf("%s;%s;%s;%s;%s;%s;%s;Calle %d # %d-%d;%s;%s;%s;%s", doc, name, issued.Format("02/01/2006"),
				due.Format("02/01/2006"), pesos(amount), email, phone, 10+rng.IntN(120), rng.IntN(90), rng.IntN(99), city, seg, person, role)})
		}
	}
	// ERP order: by invoice date, so a debtor's invoices are spread over the file.
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	var b bytes.Buffer
	b.WriteString("NIT;Razón social;Factura;Fecha factura;Fecha vencimiento;Saldo;Correo;Celular;Dirección;Ciudad;Segmento;Contacto;Cargo contacto\n")
	for i, r := range rows {
		// the invoice number follows the file order, as an ERP numbers them
		parts := bytes.SplitN([]byte(r.line), []byte(";"), 3)
		fmt.Fprintf(&b, "%s;%s;FV-%d%04d;%s\n", parts[0], parts[1], 26+batch, i+1, parts[2])
	}
	return b.Bytes()
}

// usPortfolio is a US client's batch: comma CSV, MM/DD/YYYY dates, dollars.
func usPortfolio(rng *rand.Rand, batch int, today time.Time) []byte {
	companies := []string{"Lone Star", "Bluebonnet", "Riverside", "Pecan Grove", "Hill Country", "Gulf Coast", "Red River", "Prairie"}
	kinds := []string{"Hardware", "Diner", "Auto Parts", "Pharmacy", "Grocers", "Print Shop", "Builders", "Supply"}
	cities := []string{"Austin", "Houston", "San Antonio", "Dallas", "El Paso", "Fort Worth"}
	debtors, maxAge := 8, 70
	if batch == 0 {
		debtors, maxAge = 16, 300
	}
	var rows []string
	for d := 0; d < debtors; d++ {
		acct := fmt.Sprintf("C-%d%03d", 7+batch, d)
		name := fmt.Sprintf("%s %s LLC", companies[rng.IntN(len(companies))], kinds[rng.IntN(len(kinds))])
		email := fmt.Sprintf("ap%d.%d@example.com", batch, d)
		city := cities[rng.IntN(len(cities))]
		for k := 0; k < 1+rng.IntN(3); k++ {
			age := rng.IntN(maxAge+10) - 10
			due := today.AddDate(0, 0, -age)
			amount := int64(250+rng.IntN(24_000))*100 + int64(rng.IntN(100))
			rows = append(rows, fmt.Sprintf("%s,%s,%s,%s,%d.%02d,%s,%d Main St,%s,wholesale", acct, name, due.AddDate(0, 0, -30).Format("01/02/2006"),
				due.Format("01/02/2006"), amount/100, amount%100, email, 100+rng.IntN(8900), city))
		}
	}
	rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	var b bytes.Buffer
	b.WriteString("Customer ID,Customer Name,Invoice,Invoice Date,Due Date,Amount Due,Email,Address,City,Segment\n")
	for i, r := range rows {
		parts := bytes.SplitN([]byte(r), []byte(","), 3)
		fmt.Fprintf(&b, "%s,%s,INV-%d%04d,%s\n", parts[0], parts[1], 26+batch, i+1, parts[2])
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
