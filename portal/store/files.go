package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/bson/primitive"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/gridfs"
	"go.mongodb.org/mongo-driver/mongo/options"

	"cartera/portal/apperr"
)

// Files are GridFS files of the bucket "files", written and read a chunk at
// a time. The driver's GridFS buffers 16 MB per upload and sends it in one
// message, and its reader asks for every chunk sorted by number, which the
// embedded server answers by reading, sorting and sending the whole file at
// once (several copies of it in memory, and a scan of every file's chunks).
// Here each chunk is its own insert and its own read by _id, and the files
// document lists the chunks' ids (metadata.chunks) for that; the layout is
// still GridFS, so any GridFS reader reads these files, and files written by
// the driver before 2026-12-07 are read with it.
const fileChunkSize = 255 << 10 // GridFS's default

type fileDoc struct {
	ID         string    `bson:"_id"`
	Length     int64     `bson:"length"`
	ChunkSize  int32     `bson:"chunkSize"`
	UploadDate time.Time `bson:"uploadDate"`
	Filename   string    `bson:"filename"`
	Metadata   *fileMeta `bson:"metadata,omitempty"`
}

type fileMeta struct {
	Chunks []primitive.ObjectID `bson:"chunks"`
}

type chunkDoc struct {
	ID      primitive.ObjectID `bson:"_id"`
	FilesID string             `bson:"files_id"`
	N       int32              `bson:"n"`
	Data    []byte             `bson:"data"`
}

// PutFile stores r in GridFS under id (uploads, attachments). On the
// embedded server each chunk is written under the write lock; the files
// document goes last, so a file cut short is not found.
func (d *DB) PutFile(ctx context.Context, id, name string, r io.Reader) error {
	chunks := d.db.Collection("files.chunks")
	meta := &fileMeta{Chunks: []primitive.ObjectID{}}
	var length int64
	buf := make([]byte, fileChunkSize)
	fail := func(err error) error {
		for _, cid := range meta.Chunks {
			_ = d.lockWrite(func() error { _, err := chunks.DeleteOne(ctx, bson.D{{Key: "_id", Value: cid}}); return err })
		}
		return fmt.Errorf("put file %s: %w", id, err)
	}
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			c := chunkDoc{ID: primitive.NewObjectID(), FilesID: id, N: int32(len(meta.Chunks)), Data: buf[:n]}
			if err := d.lockWrite(func() error { _, err := chunks.InsertOne(ctx, c); return err }); err != nil {
				return fail(err)
			}
			meta.Chunks = append(meta.Chunks, c.ID)
			length += int64(n)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
	}
	f := fileDoc{ID: id, Length: length, ChunkSize: fileChunkSize, UploadDate: time.Now().UTC(), Filename: name, Metadata: meta}
	if err := d.lockWrite(func() error { _, err := d.db.Collection("files.files").InsertOne(ctx, f); return err }); err != nil {
		return fail(translate("files", err))
	}
	return nil
}

// OpenFile streams the file stored under id; the caller closes it.
func (d *DB) OpenFile(ctx context.Context, id string) (io.ReadCloser, error) {
	var f fileDoc
	err := d.db.Collection("files.files").FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&f)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("file %s: %w", id, apperr.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open file %s: %w", id, err)
	}
	if f.Metadata == nil {
		return d.openDriverFile(id)
	}
	return &chunkReader{ctx: ctx, chunks: d.db.Collection("files.chunks"), file: f}, nil
}

// openDriverFile reads a file the driver's GridFS wrote.
func (d *DB) openDriverFile(id string) (io.ReadCloser, error) {
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

// chunkReader reads a file's chunks one by one, by _id.
type chunkReader struct {
	ctx    context.Context
	chunks *mongo.Collection
	file   fileDoc
	next   int    // the next chunk to read
	cur    []byte // what is left of the chunk read last
	read   int64
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.next == len(r.file.Metadata.Chunks) {
			if r.read != r.file.Length {
				return 0, fmt.Errorf("file %s: %d bytes of %d", r.file.ID, r.read, r.file.Length)
			}
			return 0, io.EOF
		}
		var c chunkDoc
		err := r.chunks.FindOne(r.ctx, bson.D{{Key: "_id", Value: r.file.Metadata.Chunks[r.next]}}).Decode(&c)
		if err != nil {
			return 0, fmt.Errorf("file %s chunk %d: %w", r.file.ID, r.next, err)
		}
		if c.FilesID != r.file.ID || int(c.N) != r.next {
			return 0, fmt.Errorf("file %s chunk %d: damaged", r.file.ID, r.next)
		}
		r.cur = c.Data
		r.next++
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	r.read += int64(n)
	return n, nil
}

func (r *chunkReader) Close() error { r.cur = nil; return nil }

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
