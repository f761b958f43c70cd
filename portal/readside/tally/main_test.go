package tally

import (
	"testing"

	"cartera/portal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }
