package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
	"sohoa/storage/local"
	"sohoa/storage/s3"
)

// env is what every command gets: where to write, and the configured
// stores once opened.
type env struct {
	stdout, stderr io.Writer
}

// config is the configuration from flags and environment. Secrets come
// only from the environment.
type config struct {
	DataDir string
	S3      s3.Config
	UseS3   bool
	Verbose bool
}

// loadConfig reads the environment; flags (already parsed) override it.
func loadConfig(dataFlag string, verbose bool) (config, error) {
	c := config{DataDir: "sohoa-data", Verbose: verbose}
	if v := os.Getenv("SOHOA_DATA"); v != "" {
		c.DataDir = v
	}
	if dataFlag != "" {
		c.DataDir = dataFlag
	}
	s3cfg, err := s3.ConfigFromEnv(os.Getenv)
	if err != nil {
		return c, err
	}
	c.S3, c.UseS3 = s3cfg, !s3cfg.IsZero()
	return c, c.Validate()
}

// Validate reports the first configuration mistake in words that say
// what to change.
func (c config) Validate() error {
	if strings.TrimSpace(c.DataDir) == "" {
		return errors.New("the data folder is empty: set --data or SOHOA_DATA, or leave both unset for ./sohoa-data")
	}
	if c.UseS3 {
		return c.S3.Validate()
	}
	return nil
}

// stores are the opened catalog and object store.
type stores struct {
	cfg     config
	catalog *sqlite.DB
	objects storage.Objects
	logger  *slog.Logger
}

func (s *stores) Close() error { return s.catalog.Close() }

// open opens the catalog and the object store the configuration names,
// creating the data folder on first use.
func (e *env) open(ctx context.Context, cfg config) (*stores, error) {
	level := slog.LevelWarn
	if cfg.Verbose {
		level = slog.LevelInfo
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	db, err := openCatalogIn(ctx, cfg)
	if err != nil {
		return nil, err
	}
	objects, err := openObjects(ctx, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &stores{cfg: cfg, catalog: db, objects: objects, logger: logger}, nil
}

// openObjects opens only the object store the configuration names, for
// commands that must not create a catalog (restore into an empty folder).
func openObjects(ctx context.Context, cfg config) (storage.Objects, error) {
	var (
		objects storage.Objects
		err     error
	)
	if cfg.UseS3 {
		objects, err = s3.Open(ctx, cfg.S3)
	} else {
		objects, err = local.Open(filepath.Join(cfg.DataDir, "objects"))
	}
	if err != nil {
		return nil, fmt.Errorf("open object store %s: %w", cfg.storeName(), err)
	}
	return objects, nil
}

// openData reads the configuration (the --data flag over the environment)
// and opens the stores it names: what every command on the data folder
// does first.
func (e *env) openData(ctx context.Context, dataFlag string, verbose bool) (*stores, error) {
	cfg, err := loadConfig(dataFlag, verbose)
	if err != nil {
		return nil, err
	}
	return e.open(ctx, cfg)
}

// record loads a record, saying in the clerk's words when there is none.
func (s *stores) record(ctx context.Context, id int64) (catalog.Record, error) {
	r, err := s.catalog.Record(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return r, fmt.Errorf("không có hồ sơ #%d (no record %d)", id, id)
	}
	return r, err
}

// openCatalog opens only the catalog of the configured data folder, for
// commands that never touch the object store.
func (e *env) openCatalog(ctx context.Context, dataFlag string) (*sqlite.DB, error) {
	cfg, err := loadConfig(dataFlag, false)
	if err != nil {
		return nil, err
	}
	return openCatalogIn(ctx, cfg)
}

// openCatalogIn opens the catalog of cfg's data folder, creating the
// folder on first use.
func openCatalogIn(ctx context.Context, cfg config) (*sqlite.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("make data folder %s: %w", cfg.DataDir, err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "catalog.db"))
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	return db, nil
}

// actorName is who a change is recorded as: the flag, else the login.
func actorName(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "sohoa"
}
