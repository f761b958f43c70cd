package store

import (
	"context"
	"errors"
	"fmt"
	"io"

	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/apperr"
)

// PutFile stores r in GridFS under id (uploads, attachments). On the
// embedded server the chunks are written under the write lock.
func (d *DB) PutFile(ctx context.Context, id, name string, r io.Reader) error {
	b, err := gridfs.NewBucket(d.db, options.GridFSBucket().SetName("files"))
	if err != nil {
		return fmt.Errorf("put file: %w", err)
	}
	return d.lockWrite(func() error {
		if err := b.UploadFromStreamWithID(id, name, r); err != nil {
			return fmt.Errorf("put file %s: %w", id, err)
		}
		return nil
	})
}

// OpenFile streams the file stored under id; the caller closes it.
func (d *DB) OpenFile(ctx context.Context, id string) (io.ReadCloser, error) {
	b, err := gridfs.NewBucket(d.db, options.GridFSBucket().SetName("files"))
	if err != nil {
		return nil, fmt.Errorf("open file: %w", err)
	}
	s, err := b.OpenDownloadStream(id)
	if errors.Is(err, gridfs.ErrFileNotFound) {
		return nil, fmt.Errorf("file %s: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open file %s: %w", id, err)
	}
	return s, nil
}

// DeleteFile removes the file stored under id (missing is not an error).
func (d *DB) DeleteFile(ctx context.Context, id string) error {
	b, err := gridfs.NewBucket(d.db, options.GridFSBucket().SetName("files"))
	if err != nil {
		return err
	}
	return d.lockWrite(func() error {
		if err := b.Delete(id); err != nil && !errors.Is(err, gridfs.ErrFileNotFound) {
			return fmt.Errorf("delete file %s: %w", id, err)
		}
		return nil
	})
}
