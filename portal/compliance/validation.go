package compliance

import "time"

// ValidationNoticeDays is the business days allowed by 12 CFR 1006.34(a)(1)
// to send the validation notice after the initial communication.
const ValidationNoticeDays = 5

// ValidationNoticeDue returns the last day (00:00 in firstContact's location,
// which should be the consumer's) on which a US validation notice may still
// be sent: ValidationNoticeDays days after the initial communication, not
// counting Saturdays, Sundays and federal holidays (observed dates). overdue
// is true once that day has passed without the notice.
func ValidationNoticeDue(firstContact time.Time, noticeSent bool, now time.Time) (due time.Time, overdue bool) {
	var cal Calendar
	d := civil(firstContact)
	for n := 0; n < ValidationNoticeDays; {
		d = d.AddDate(0, 0, 1)
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday || cal.IsHoliday("US", d) {
			continue
		}
		n++
	}
	y, m, dd := d.Date()
	due = time.Date(y, m, dd, 0, 0, 0, 0, firstContact.Location())
	overdue = !noticeSent && dayNumber(now.In(firstContact.Location())) > dayNumber(d)
	return due, overdue
}
