package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"sohoa/pipeline"
	"sohoa/storage"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

// orphanPrefix is where doctor moves originals no record points at: kept,
// out of the way, until a clerk ingests them again.
const orphanPrefix = "orphans/"

// runDoctor is `sohoa doctor`: it checks the catalog file, the job queue
// and the object store against each other and, with --repair, mends what
// it safely can, each repair an event in the catalog.
func runDoctor(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "doctor", "[--repair] [--grace 1h] [--export-orphans THƯ-MỤC] [--json]", `
Khám kho dữ liệu sau khi máy tắt đột ngột, bị ngắt (kill -9) hay đầy đĩa:
  - danh mục SQLite còn nguyên vẹn không (PRAGMA integrity_check, khóa ngoại);
  - việc bị kẹt: đang chạy mà tiến trình đã chết (hết hạn thuê, hoặc tiến
    trình trên máy này đã dừng), hoặc hồ sơ chưa xong mà không việc nào làm nó;
  - hồ sơ trỏ tới bản gốc hay bản lưu trữ không còn trong kho;
  - đối tượng trong kho mà không hồ sơ nào trỏ tới (máy tắt giữa lúc lưu và
    lúc ghi hồ sơ), cũ hơn --grace (để không đụng tới lần nhập đang chạy);
  - tệp tạm bị bỏ lại trong DATA/tmp.
Với --repair: xếp lại hàng việc bị kẹt (rồi chạy "sohoa worker"), dựng lại bản
lưu trữ bị mất, đánh dấu lỗi hồ sơ chưa xử lý mà mất bản gốc, chuyển bản gốc
không có hồ sơ sang orphans/ (KHÔNG xóa: đó vẫn là bản quét người nhập đã giao;
lấy ra bằng --export-orphans THƯ-MỤC rồi "sohoa ingest" lại), xóa bản lưu trữ
không có hồ sơ (dựng lại được từ bản gốc) và tệp tạm cũ. Mỗi lần sửa là một sự
kiện trong nhật ký. Mã thoát 1 khi còn vấn đề.

Check the data after a power cut, a kill -9 or a full disk: catalog integrity,
stuck jobs (an expired lease, a worker on this machine that was killed, or an
unfinished record no job will finish),
records whose objects are missing, objects no record points at (older than
--grace, so an ingest in flight is not touched) and stale temporary files.
--repair requeues stuck jobs (then run "sohoa worker"), rebuilds lost archival
PDFs, fails unprocessed records whose original is gone, MOVES unrecorded
originals to orphans/ (never deletes them: each is a scan a clerk handed over;
--export-orphans DIR writes them out to "sohoa ingest" again), deletes
unrecorded archival PDFs (rebuilt from the original if needed) and old
temporary files. Every repair is an event. Exit status 1 while problems remain.

Ví dụ / example:
  sohoa doctor
  sohoa doctor --repair && sohoa worker
  sohoa doctor --export-orphans ~/tra-lai && sohoa ingest --unit 21181 ~/tra-lai`)
	repair := fs.Bool("repair", false, "sửa những gì sửa được / repair what can be repaired")
	grace := fs.Duration("grace", time.Hour, "chỉ coi là mồ côi khi cũ hơn / only objects and temp files older than this count as left behind")
	exportDir := fs.String("export-orphans", "", "ghi các bản gốc trong orphans/ ra THƯ-MỤC để nhập lại / write the quarantined originals to DIR to ingest again")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người thực hiện / who repairs (default: $USER)")
	if _, err := parseInterspersed(fs, args); err != nil {
		return err
	}
	if *grace < 0 {
		return usagef("--grace must not be negative")
	}
	st, err := e.openData(ctx, *data, false)
	if err != nil {
		return err
	}
	defer st.Close()

	d := &doctor{st: st, repair: *repair, grace: *grace, now: time.Now(), actor: actorName(*actor)}
	rep, err := d.examine(ctx)
	if err != nil {
		return err
	}
	if *exportDir != "" {
		if rep.Exported, err = d.exportOrphans(ctx, *exportDir); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.print(e.stdout, *repair)
	}
	if rep.Remaining > 0 {
		return errReported
	}
	return nil
}

// doctorReport is what doctor found and did; its JSON names are for scripts.
type doctorReport struct {
	Catalog     string           `json:"catalog"` // "ok", or what the integrity check found
	Jobs        []doctorJob      `json:"stuck_jobs"`
	Missing     []doctorMissing  `json:"missing_objects"`
	Orphans     []doctorObject   `json:"unrecorded_objects"`
	Recent      []doctorObject   `json:"recent_unrecorded_objects"` // within the grace period: an ingest may be in flight
	Quarantined []doctorObject   `json:"quarantined"`
	TempFiles   []doctorTempFile `json:"stale_temp_files"`
	Exported    []string         `json:"exported,omitempty"`
	// Problems counts what was found; Remaining what is still wrong after
	// the repairs (all of it without --repair).
	Problems  int `json:"problems"`
	Remaining int `json:"remaining"`
}

type doctorJob struct {
	Record     int64     `json:"record"`
	Source     string    `json:"source"`
	Status     string    `json:"status"`
	Job        int64     `json:"job,omitempty"`
	JobState   string    `json:"job_state,omitempty"`
	Kind       string    `json:"kind"` // lease_expired, owner_stopped, job_ended, no_job
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	Repair     string    `json:"repair,omitempty"`
	Remains    bool      `json:"remains"`
}

type doctorMissing struct {
	Record  int64  `json:"record"`
	Source  string `json:"source"`
	Status  string `json:"status"`
	What    string `json:"what"` // original, archive
	Key     string `json:"key"`
	Repair  string `json:"repair,omitempty"`
	Remains bool   `json:"remains"`
	// Repairable says whether --repair does something about it.
	Repairable bool   `json:"repairable"`
	Advice     string `json:"advice,omitempty"`
}

type doctorObject struct {
	Key     string    `json:"key"`
	Size    int64     `json:"size"`
	SHA256  string    `json:"sha256"`
	ModTime time.Time `json:"mod_time"`
	Repair  string    `json:"repair,omitempty"`
	Remains bool      `json:"remains"`
}

type doctorTempFile struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mod_time"`
	Repair  string    `json:"repair,omitempty"`
	Remains bool      `json:"remains"`
}

type doctor struct {
	st     *stores
	repair bool
	grace  time.Duration
	now    time.Time
	actor  string
}

// examine runs every check and, when repairing, each repair right after
// its finding.
func (d *doctor) examine(ctx context.Context) (*doctorReport, error) {
	// Empty lists, not null, for scripts.
	rep := &doctorReport{Catalog: "ok", Jobs: []doctorJob{}, Missing: []doctorMissing{}, Orphans: []doctorObject{},
		Recent: []doctorObject{}, Quarantined: []doctorObject{}, TempFiles: []doctorTempFile{}}
	if err := d.st.catalog.IntegrityCheck(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep.Catalog = err.Error()
		rep.Problems++
		rep.Remaining++ // only a backup mends a damaged file
	}
	if err := d.checkJobs(ctx, rep); err != nil {
		return nil, err
	}
	if err := d.checkObjects(ctx, rep); err != nil {
		return nil, err
	}
	if err := d.checkTemp(ctx, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func (d *doctor) event(action string, recordID int64, details map[string]any) catalog.Event {
	b, _ := json.Marshal(details)
	return catalog.Event{Actor: d.actor, Action: action, RecordID: recordID, Details: string(b)}
}

// checkJobs finds jobs whose worker is gone and records nothing will
// finish, and puts them back in the queue.
func (d *doctor) checkJobs(ctx context.Context, rep *doctorReport) error {
	probs, err := d.st.catalog.JobProblems(ctx, d.now)
	if err != nil {
		return err
	}
	for _, p := range probs {
		j := doctorJob{Record: p.RecordID, Source: p.Source, Status: string(p.Status), Job: p.JobID,
			JobState: string(p.JobState), Kind: p.Kind, Owner: p.Owner, LeaseUntil: p.LeaseUntil, Remains: true}
		rep.Problems++
		if d.repair {
			var err error
			switch p.Kind {
			case sqlite.JobLeaseExpired:
				err = d.st.catalog.RequeueExpired(ctx, p.JobID, d.now, d.event("doctor_requeue", p.RecordID,
					map[string]any{"job": p.JobID, "owner": p.Owner, "lease_until": p.LeaseUntil}))
			default:
				err = d.st.catalog.Reprocess(ctx, p.RecordID, d.now, d.event("doctor_reprocess", p.RecordID,
					map[string]any{"job": p.JobID, "job_state": p.JobState, "status": p.Status, "kind": p.Kind}))
			}
			switch {
			case err == nil:
				j.Repair, j.Remains = "requeued", false
			case errors.Is(err, sqlite.ErrInFlight):
				j.Repair, j.Remains = "taken up by a worker meanwhile", false
			default:
				return err
			}
		}
		if j.Remains {
			rep.Remaining++
		}
		rep.Jobs = append(rep.Jobs, j)
	}

	// Jobs still under lease whose worker on this machine was killed: a
	// worker starting here would take them back, but until one does, or
	// the lease runs out, nothing moves.
	running, err := d.st.catalog.Running(ctx)
	if err != nil {
		return err
	}
	for _, job := range running {
		if !job.LeaseUntil.After(d.now) || !pipeline.OwnerStopped(job.Owner) {
			continue // expired leases are above; live workers are working
		}
		r, err := d.st.catalog.Record(ctx, job.RecordID)
		if err != nil {
			return err
		}
		j := doctorJob{Record: r.ID, Source: r.Source, Status: string(r.Status), Job: job.ID, JobState: string(job.State),
			Kind: jobOwnerStopped, Owner: job.Owner, LeaseUntil: job.LeaseUntil, Remains: true}
		rep.Problems++
		if d.repair {
			err := d.st.catalog.RequeueOwned(ctx, job.ID, job.Owner, d.now, d.event("doctor_requeue", r.ID,
				map[string]any{"job": job.ID, "owner": job.Owner, "reason": "worker stopped"}))
			switch {
			case err == nil:
				j.Repair, j.Remains = "requeued", false
			case errors.Is(err, sqlite.ErrInFlight):
				j.Repair, j.Remains = "taken up by a worker meanwhile", false
			default:
				return err
			}
		}
		if j.Remains {
			rep.Remaining++
		}
		rep.Jobs = append(rep.Jobs, j)
	}
	return nil
}

// jobOwnerStopped is a running job, lease not yet out, whose worker on
// this machine no longer runs.
const jobOwnerStopped = "owner_stopped"

// listObjects gathers every object under prefix by key.
func (d *doctor) listObjects(ctx context.Context, prefix string) (map[string]storage.ObjectInfo, error) {
	out := map[string]storage.ObjectInfo{}
	err := d.st.objects.List(ctx, prefix, func(info storage.ObjectInfo) error {
		out[info.Key] = info
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s in the object store: %w", prefix, err)
	}
	return out, nil
}

// checkObjects compares the records' keys with the store's: records whose
// objects are gone, and objects no record points at.
func (d *doctor) checkObjects(ctx context.Context, rep *doctorReport) error {
	stored := map[string]storage.ObjectInfo{}
	for _, prefix := range []string{"originals/", "archives/"} {
		m, err := d.listObjects(ctx, prefix)
		if err != nil {
			return err
		}
		for k, v := range m {
			stored[k] = v
		}
	}
	quarantined, err := d.listObjects(ctx, orphanPrefix)
	if err != nil {
		return err
	}

	referenced := map[string]bool{}
	var records []sqlite.RecordObjects
	err = d.st.catalog.EachRecordObjects(ctx, func(r sqlite.RecordObjects) error {
		if r.Original != "" {
			referenced[r.Original] = true
		}
		if r.Archive != "" {
			referenced[r.Archive] = true
		}
		records = append(records, r)
		return nil
	})
	if err != nil {
		return err
	}

	// Records first: an original found in quarantine goes back where its
	// record expects it before anything else is judged.
	for _, r := range records {
		haveOriginal, err := d.present(ctx, stored, r.Original)
		if err != nil {
			return err
		}
		if r.Original != "" && !haveOriginal {
			m := d.missingOriginal(ctx, r, stored, quarantined)
			rep.Problems++
			if m.Remains {
				rep.Remaining++
			}
			rep.Missing = append(rep.Missing, m)
			haveOriginal = !m.Remains
		}
		haveArchive, err := d.present(ctx, stored, r.Archive)
		if err != nil {
			return err
		}
		if r.Archive != "" && !haveArchive {
			m := doctorMissing{Record: r.RecordID, Source: r.Source, Status: string(r.Status), What: "archive", Key: r.Archive, Remains: true, Repairable: haveOriginal,
				Advice: "bản lưu trữ PDF/A dựng lại được từ bản gốc: chạy sohoa doctor --repair rồi sohoa worker (rebuilt from the original: run doctor --repair, then worker)"}
			rep.Problems++
			if d.repair && haveOriginal {
				err := d.st.catalog.Reprocess(ctx, r.RecordID, d.now, d.event("doctor_reprocess", r.RecordID,
					map[string]any{"missing": r.Archive}))
				switch {
				case err == nil:
					m.Repair, m.Remains, m.Advice = "queued to rebuild the archival PDF", false, "chạy / run: sohoa worker"
				case errors.Is(err, sqlite.ErrInFlight):
					m.Repair, m.Remains = "a worker is rebuilding it", false
				default:
					return err
				}
			}
			if m.Remains {
				rep.Remaining++
			}
			rep.Missing = append(rep.Missing, m)
		}
	}

	for _, k := range slices.Sorted(maps.Keys(stored)) {
		if referenced[k] {
			continue
		}
		info := stored[k]
		o := doctorObject{Key: k, Size: info.Size, SHA256: info.SHA256, ModTime: info.ModTime, Remains: true}
		if d.now.Sub(info.ModTime) < d.grace {
			o.Remains = false
			rep.Recent = append(rep.Recent, o)
			continue
		}
		if d.repair {
			// Recorded since the listing (a file ingested again whose
			// bytes were already stored): not an orphan any more.
			r, err := d.st.catalog.FirstRecordWithSHA(ctx, keySHA256(k))
			if err == nil && (r.Original == k || r.Archive == k) {
				continue
			} else if err != nil && !errors.Is(err, catalog.ErrNotFound) {
				return err
			}
		}
		rep.Problems++
		if d.repair {
			if err := d.settleOrphan(ctx, &o, info); err != nil {
				return err
			}
		}
		if o.Remains {
			rep.Remaining++
		}
		rep.Orphans = append(rep.Orphans, o)
	}

	for _, k := range slices.Sorted(maps.Keys(quarantined)) {
		info := quarantined[k]
		o := doctorObject{Key: k, Size: info.Size, SHA256: info.SHA256, ModTime: info.ModTime}
		home := strings.TrimPrefix(k, orphanPrefix)
		if _, back := stored[home]; back && referenced[home] && d.repair {
			// Ingested again since: the quarantined copy is redundant.
			if err := d.st.objects.Delete(ctx, k); err != nil {
				return fmt.Errorf("delete quarantined %s: %w", k, err)
			}
			if err := d.st.catalog.AppendEvent(ctx, d.event("doctor_delete", 0,
				map[string]any{"key": k, "sha256": info.SHA256, "reason": "recorded again under " + home})); err != nil {
				return err
			}
			o.Repair = "deleted: recorded again under " + home
		}
		rep.Quarantined = append(rep.Quarantined, o)
	}
	return nil
}

// present reports whether key is in the store: in the listing, or stored
// since (ingest stores an original before it records it, so a record
// read after the listing may point at an object the listing missed).
func (d *doctor) present(ctx context.Context, stored map[string]storage.ObjectInfo, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	if _, ok := stored[key]; ok {
		return true, nil
	}
	info, err := d.st.objects.Stat(ctx, key)
	switch {
	case err == nil:
		stored[key] = info
		return true, nil
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("look for %s in the object store: %w", key, err)
}

// keySHA256 is the sha256 a content-addressed key is named by.
func keySHA256(key string) string {
	return strings.TrimSuffix(key[strings.LastIndexByte(key, '/')+1:], ".pdf")
}

// missingOriginal reports a record whose original is gone and, when
// repairing, brings it back from quarantine or, for a record not yet
// processed, fails it so the queue stops trying.
func (d *doctor) missingOriginal(ctx context.Context, r sqlite.RecordObjects, stored, quarantined map[string]storage.ObjectInfo) doctorMissing {
	m := doctorMissing{Record: r.RecordID, Source: r.Source, Status: string(r.Status), What: "original", Key: r.Original, Remains: true,
		Advice: fmt.Sprintf("bản gốc của %s không còn trong kho: khôi phục kho từ bản sao, hoặc nhập lại tệp đó (the original is gone: restore the store from a backup, or ingest the file again)", r.Source)}
	_, parked := quarantined[orphanPrefix+r.Original]
	m.Repairable = parked || !r.Status.Final()
	if !d.repair {
		if parked {
			m.Advice = "có bản sao trong orphans/: chạy sohoa doctor --repair để đưa về (a copy is in orphans/: doctor --repair puts it back)"
		}
		return m
	}
	if q, ok := quarantined[orphanPrefix+r.Original]; ok && strings.EqualFold(q.SHA256, r.SHA256) {
		if err := d.moveObject(ctx, q, r.Original); err != nil {
			m.Advice = "khôi phục từ orphans/ thất bại (restoring from orphans/ failed): " + err.Error()
			return m
		}
		stored[r.Original] = q
		delete(quarantined, orphanPrefix+r.Original)
		_ = d.st.catalog.AppendEvent(ctx, d.event("doctor_restore", r.RecordID,
			map[string]any{"from": q.Key, "to": r.Original, "sha256": q.SHA256}))
		m.Repair, m.Remains, m.Advice = "restored from "+q.Key, false, ""
		return m
	}
	if r.Status.Final() {
		return m
	}
	msg := fmt.Sprintf("%s: bản gốc không còn trong kho lưu trữ (%s) — hãy nhập lại tệp này (the stored original is missing: ingest the file again)", r.Source, r.Original)
	err := d.st.catalog.FailRecord(ctx, r.RecordID, msg, d.now, d.event("doctor_fail", r.RecordID,
		map[string]any{"missing": r.Original, "error": msg}))
	switch {
	case err == nil:
		m.Repair, m.Status = "marked failed: nothing to process", string(catalog.StatusFailed)
	case errors.Is(err, sqlite.ErrInFlight):
		m.Repair = "left alone: a worker holds its job"
	default:
		m.Advice = err.Error()
	}
	return m
}

// settleOrphan quarantines an unrecorded original and deletes an
// unrecorded archival PDF (derived: the pipeline rebuilds it).
func (d *doctor) settleOrphan(ctx context.Context, o *doctorObject, info storage.ObjectInfo) error {
	if strings.HasPrefix(info.Key, "archives/") {
		if err := d.st.objects.Delete(ctx, info.Key); err != nil {
			return fmt.Errorf("delete unrecorded %s: %w", info.Key, err)
		}
		o.Repair, o.Remains = "deleted (an archival PDF is rebuilt from its original)", false
		return d.st.catalog.AppendEvent(ctx, d.event("doctor_delete", 0,
			map[string]any{"key": info.Key, "sha256": info.SHA256, "reason": "no record points to it"}))
	}
	to := orphanPrefix + info.Key
	if err := d.moveObject(ctx, info, to); err != nil {
		return err
	}
	o.Repair, o.Remains = "moved to "+to, false
	return d.st.catalog.AppendEvent(ctx, d.event("doctor_quarantine", 0,
		map[string]any{"from": info.Key, "to": to, "sha256": info.SHA256, "size": info.Size}))
}

// moveObject copies info's object to key, checked against its sha256, and
// only then deletes the source.
func (d *doctor) moveObject(ctx context.Context, info storage.ObjectInfo, key string) error {
	rc, _, err := d.st.objects.Get(ctx, info.Key)
	if err != nil {
		return fmt.Errorf("move %s to %s: %w", info.Key, key, err)
	}
	_, err = d.st.objects.Put(ctx, key, rc, info.Size, storage.PutOptions{ContentType: info.ContentType, SHA256: info.SHA256})
	rc.Close()
	if err != nil {
		return fmt.Errorf("move %s to %s: %w", info.Key, key, err)
	}
	if err := d.st.objects.Delete(ctx, info.Key); err != nil {
		return fmt.Errorf("move %s to %s: delete the source: %w", info.Key, key, err)
	}
	return nil
}

// checkTemp finds files a killed worker left in the data folder's tmp.
func (d *doctor) checkTemp(ctx context.Context, rep *doctorReport) error {
	dir := tempDir(d.st.cfg.DataDir)
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !de.Type().IsRegular() {
			return nil
		}
		fi, err := de.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // finished with meanwhile
			}
			return err
		}
		if d.now.Sub(fi.ModTime()) < d.grace {
			return nil
		}
		t := doctorTempFile{Path: path, Size: fi.Size(), ModTime: fi.ModTime(), Remains: true}
		rep.Problems++
		if d.repair {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove temporary file: %w", err)
			}
			t.Repair, t.Remains = "removed", false
		}
		if t.Remains {
			rep.Remaining++
		}
		rep.TempFiles = append(rep.TempFiles, t)
		return nil
	})
	if err != nil {
		return fmt.Errorf("check temporary files in %s: %w", dir, err)
	}
	if d.repair && len(rep.TempFiles) > 0 {
		var n int64
		for _, t := range rep.TempFiles {
			n += t.Size
		}
		return d.st.catalog.AppendEvent(ctx, d.event("doctor_clean_tmp", 0,
			map[string]any{"files": len(rep.TempFiles), "bytes": n, "dir": dir}))
	}
	return nil
}

// exportOrphans writes every quarantined original to dir, named by its
// sha256 with the extension of its type, for a clerk to ingest again.
func (d *doctor) exportOrphans(ctx context.Context, dir string) ([]string, error) {
	q, err := d.listObjects(ctx, orphanPrefix+"originals/")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("export orphans: %w", err)
	}
	var out []string
	for _, k := range slices.Sorted(maps.Keys(q)) {
		info := q[k]
		path := filepath.Join(dir, info.SHA256+extFor(info.ContentType))
		if err := writeObject(ctx, d.st.objects, k, path); err != nil {
			return out, fmt.Errorf("export %s: %w", k, err)
		}
		out = append(out, path)
	}
	return out, nil
}

// writeObject copies an object to a new file at path, checked against its
// sha256 as it is read; a failed copy leaves no file.
func writeObject(ctx context.Context, objects storage.Objects, key, path string) error {
	rc, _, err := objects.Get(ctx, key)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.CreateTemp(filepath.Dir(path), ".export-*")
	if err != nil {
		return err
	}
	_, err = io.Copy(f, rc)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func extFor(contentType string) string {
	switch contentType {
	case "application/pdf":
		return ".pdf"
	case "image/tiff":
		return ".tiff"
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	}
	return ".bin"
}

func (r *doctorReport) print(w io.Writer, repaired bool) {
	fmt.Fprintf(w, "Danh mục / catalog: %s\n", r.Catalog)
	if r.Catalog != "ok" {
		fmt.Fprintln(w, "  → khôi phục danh mục từ bản sao lưu: sohoa restore (restore the catalog from a backup)")
	}
	fix := func(repair string, remains bool) string {
		switch {
		case repair != "":
			return " → " + repair
		case remains && !repaired:
			return " → sửa được bằng --repair (repairable with --repair)"
		}
		return ""
	}
	fmt.Fprintf(w, "Việc bị kẹt / stuck jobs: %d\n", len(r.Jobs))
	for _, j := range r.Jobs {
		why := map[string]string{
			sqlite.JobLeaseExpired: fmt.Sprintf("việc %d đang chạy nhưng hết hạn thuê lúc %s, tiến trình %s đã dừng (lease expired: its worker stopped)", j.Job, j.LeaseUntil.Local().Format("2006-01-02 15:04:05"), j.Owner),
			sqlite.JobEnded:        fmt.Sprintf("hồ sơ còn %s mà việc %d đã %s (the record is unfinished but its job ended)", j.Status, j.Job, j.JobState),
			jobOwnerStopped:        fmt.Sprintf("việc %d đang chạy nhưng tiến trình %s trên máy này đã dừng (its worker on this machine stopped)", j.Job, j.Owner),
			sqlite.JobMissing:      fmt.Sprintf("hồ sơ còn %s mà không có việc nào (no job will finish the record)", j.Status),
		}[j.Kind]
		fmt.Fprintf(w, "  #%d %s: %s%s\n", j.Record, j.Source, why, fix(j.Repair, j.Remains))
	}
	fmt.Fprintf(w, "Thiếu đối tượng / missing objects: %d\n", len(r.Missing))
	for _, m := range r.Missing {
		what := map[string]string{"original": "bản gốc / original", "archive": "bản lưu trữ / archival PDF"}[m.What]
		fmt.Fprintf(w, "  #%d %s: thiếu %s %s%s\n", m.Record, m.Source, what, m.Key, fix(m.Repair, m.Remains && m.Repairable))
		if m.Remains && m.Advice != "" {
			fmt.Fprintf(w, "    %s\n", m.Advice)
		}
	}
	fmt.Fprintf(w, "Đối tượng không có hồ sơ / unrecorded objects: %d\n", len(r.Orphans))
	for _, o := range r.Orphans {
		fmt.Fprintf(w, "  %s (%d B, %s)%s\n", o.Key, o.Size, o.ModTime.Local().Format("2006-01-02 15:04"), fix(o.Repair, o.Remains))
	}
	if len(r.Recent) > 0 {
		fmt.Fprintf(w, "  và %d đối tượng mới hơn thời gian chờ, để yên — có thể đang nhập (and %d newer than --grace, left alone: an ingest may be running)\n", len(r.Recent), len(r.Recent))
	}
	if len(r.Quarantined) > 0 {
		fmt.Fprintf(w, "Bản gốc đang giữ trong orphans/ / quarantined originals: %d\n", len(r.Quarantined))
		for _, o := range r.Quarantined {
			fmt.Fprintf(w, "  %s%s\n", o.Key, fix(o.Repair, false))
		}
		fmt.Fprintln(w, "  → lấy ra để nhập lại / to ingest them again: sohoa doctor --export-orphans THƯ-MỤC, rồi / then sohoa ingest THƯ-MỤC")
	}
	fmt.Fprintf(w, "Tệp tạm bị bỏ lại / stale temporary files: %d\n", len(r.TempFiles))
	for _, t := range r.TempFiles {
		fmt.Fprintf(w, "  %s (%d B)%s\n", t.Path, t.Size, fix(t.Repair, t.Remains))
	}
	for _, p := range r.Exported {
		fmt.Fprintf(w, "Đã ghi / exported: %s\n", p)
	}
	switch {
	case r.Problems == 0:
		fmt.Fprintln(w, "Kết luận / verdict: kho lành, không có gì phải sửa (all sound, nothing to repair)")
	case r.Remaining == 0:
		fmt.Fprintf(w, "Kết luận / verdict: đã sửa %d vấn đề; chạy sohoa worker để làm tiếp các việc đã xếp lại (repaired %d problem(s); run sohoa worker for the requeued work)\n", r.Problems, r.Problems)
	case repaired:
		fmt.Fprintf(w, "Kết luận / verdict: còn %d vấn đề không tự sửa được — xem hướng dẫn ở trên (%d problem(s) remain that doctor cannot mend: see above)\n", r.Remaining, r.Remaining)
	case r.fixable() > 0:
		fmt.Fprintf(w, "Kết luận / verdict: %d vấn đề, %d sửa được: chạy sohoa doctor --repair (%d problem(s), %d repairable: run sohoa doctor --repair)\n",
			r.Remaining, r.fixable(), r.Remaining, r.fixable())
	default:
		fmt.Fprintf(w, "Kết luận / verdict: %d vấn đề doctor không tự sửa được — xem hướng dẫn ở trên (%d problem(s) doctor cannot mend: see above)\n", r.Remaining, r.Remaining)
	}
}

// fixable counts the problems --repair does something about.
func (r *doctorReport) fixable() int {
	n := len(r.Jobs) + len(r.Orphans) + len(r.TempFiles)
	for _, m := range r.Missing {
		if m.Repairable {
			n++
		}
	}
	return n
}
