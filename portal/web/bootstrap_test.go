package web_test

import (
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/apptest"
)

// Two replicas starting together on an empty database: both start, one
// admin exists.
func TestEnsureAdminRace(t *testing.T) {
	e := apptest.New(t)
	ctx := e.Ctx()
	users := e.App.DB.C("users")
	if _, err := users.DeleteMany(ctx, bson.D{{Key: "role", Value: "admin"}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	made := make([]bool, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			made[i], _, errs[i] = e.App.Tenants.EnsureAdmin(ctx, "root@cartera.test", "")
		}()
	}
	wg.Wait()
	created := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
		if made[i] {
			created++
		}
	}
	n, err := users.Count(ctx, bson.D{{Key: "role", Value: "admin"}})
	if err != nil || n != 1 || created != 1 {
		t.Errorf("%d admins, %d created (%v)", n, created, err)
	}
}
