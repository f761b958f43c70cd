package accounts

// SetStaging makes an import hold at most limit debtors in memory and tells
// held how many it holds after each row (tests of the staging bound).
func (s *Service) SetStaging(limit int, held func(n int)) {
	s.stageLimit, s.stageHeld = limit, held
}

// StageLimit is the staging bound of a real import.
const StageLimit = stageLimit
