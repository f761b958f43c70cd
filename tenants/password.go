package tenants

import "golang.org/x/crypto/bcrypt"

const bcryptCost = 11

// dummyHash is compared against when the e-mail is unknown, so an unknown
// account costs the same time as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("cartera-timing-equaliser"), bcryptCost)

// HashPassword hashes a password with bcrypt.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
	return string(h), err
}

// CheckPassword reports whether pw matches hash; an empty hash still spends
// a bcrypt comparison.
func CheckPassword(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// ValidPassword is the password policy: long enough to resist guessing,
// short enough for bcrypt (72 bytes).
func ValidPassword(pw string) string {
	switch {
	case len(pw) < 10:
		return "la contraseña debe tener al menos 10 caracteres"
	case len(pw) > 72:
		return "la contraseña no puede tener más de 72 bytes"
	}
	return ""
}
