package store

// CrashProjectionsAfterApply makes d's consumer die, as a killed process
// would, right after it has applied its next batch and before it records
// the batch as applied (tests of the replay).
func CrashProjectionsAfterApply(d *DB) {
	d.proj.mu.Lock()
	defer d.proj.mu.Unlock()
	d.proj.crashAfterApply = true
}

// Name is the database's name (tests reopen it).
func (d *DB) Name() string { return d.db.Name() }
