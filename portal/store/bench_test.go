package store_test

import (
	"context"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/bson"

	"cartera/portal/store/storetest"
)

// BenchmarkGetByID shows _id reads stay flat as the collection grows from
// 1,000 to 100,000 documents (the SQLite expression index at work), and
// what the document cache saves.
func BenchmarkGetByID(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) {
			db := storetest.New(b)
			ctx := context.Background()
			c := db.C("accounts")
			batch := make([]any, 0, 1000)
			for i := 0; i < n; i++ {
				batch = append(batch, bson.D{{Key: "_id", Value: fmt.Sprintf("t:%07d", i)}, {Key: "tenantId", Value: "t"}, {Key: "balance", Value: int64(i)}})
				if len(batch) == cap(batch) {
					if _, err := c.InsertMany(ctx, batch); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			// The driver's own read (what reaches FerretDB and SQLite), then
			// the store's, which the embedded document cache answers once
			// a document was read.
			b.Run("driver", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					var out bson.Raw
					if err := c.Raw().FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("t:%07d", (i*7919)%n)}}).Decode(&out); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("store", func(b *testing.B) {
				// A working set of 1,000 documents, read once before timing.
				for i := 0; i < min(n, 1000); i++ {
					var out bson.Raw
					if err := c.Get(ctx, fmt.Sprintf("t:%07d", (i*7919)%n), &out); err != nil {
						b.Fatal(err)
					}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					i := i % 1000
					var out bson.Raw
					if err := c.Get(ctx, fmt.Sprintf("t:%07d", (i*7919)%n), &out); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
