package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"sohoa/cmd/sohoa/internal/auth"
	"sohoa/cmd/sohoa/internal/auth/catalogstore"
	"sohoa/storage/catalog"
	"sohoa/storage/catalog/sqlite"
)

// usersStdin is where --password-stdin reads; tests replace it.
var usersStdin io.Reader = os.Stdin

// Actions of the user events.
const (
	actionUserAdd     = "user_add"
	actionUserToken   = "user_token"
	actionUserDisable = "user_disable"
)

func runUsers(ctx context.Context, e *env, args []string) error {
	return dispatch(ctx, e, "users", `Cách dùng / usage: sohoa users add|list|token|disable …

  add      thêm người dùng trang web với một vai trò / add a user with a role:
             clerk    cán bộ một cửa: nhập, xem xét, xem hồ sơ của đơn vị mình
                      ingests, reviews and sees its own units' records (--unit)
             it       cán bộ CNTT: mọi đơn vị, tiến độ, vận hành / every unit,
                      progress, the dashboard, pipeline operations
             auditor  kiểm toán: xem mọi thứ, không sửa gì / reads everything,
                      changes nothing
             admin    quản trị: người dùng và cài đặt / users and settings
  list     liệt kê người dùng / list the users
  token    cấp mã truy cập API mới (in ra một lần) / print a new API token, once
  disable  khóa người dùng, hủy phiên và mã / disable a user, end its sessions
           and revoke its tokens

Ví dụ / example:
  sohoa users add lan --role clerk --unit 21199
  sohoa users token lan
`, args,
		subcommand{"add", runUsersAdd}, subcommand{"list", runUsersList},
		subcommand{"token", runUsersToken}, subcommand{"disable", runUsersDisable})
}

// unitList collects repeated --unit flags (and comma-separated codes).
type unitList []string

func (u *unitList) String() string { return strings.Join(*u, ",") }

func (u *unitList) Set(s string) error {
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			*u = append(*u, c)
		}
	}
	return nil
}

func runUsersAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "users add", "TÊN --role clerk|it|auditor|admin [--unit MÃ …] [--password-stdin]", `
Thêm một người dùng trang sohoa serve. Mật khẩu (8–72 ký tự) được hỏi khi
chạy ở cửa sổ lệnh (không hiện chữ), hoặc đọc từ dòng đầu của đầu vào với
--password-stdin; chỉ bản băm bcrypt được lưu. Cán bộ một cửa (clerk) cần
ít nhất một --unit: chỉ thấy hồ sơ của các đơn vị đó và đơn vị trực thuộc.
Add a user of sohoa serve. The password (8 to 72 bytes) is asked for on a
terminal (not echoed), or read from the first line of stdin with
--password-stdin; only its bcrypt hash is stored. A clerk needs at least
one --unit, and sees only the records of those units and the units under
them.

Ví dụ / example:
  sohoa users add admin --role admin
  echo "$MAT_KHAU" | sohoa users add lan --role clerk --unit 21199 --password-stdin`)
	role := fs.String("role", "", "vai trò / role: clerk, it, auditor, admin")
	var units unitList
	fs.Var(&units, "unit", "mã đơn vị cán bộ phụ trách, lặp lại được / a unit the clerk acts for (repeatable)")
	fromStdin := fs.Bool("password-stdin", false, "đọc mật khẩu từ đầu vào / read the password from stdin")
	noPassword := fs.Bool("no-password", false, "không đăng nhập bằng mật khẩu, chỉ dùng mã API / API tokens only, no password sign-in")
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cần đúng một tên người dùng (give exactly one user name)")
	}
	name := pos[0]
	if err := checkUserName(name); err != nil {
		return err
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return usagef("--role: %v", err)
	}
	switch {
	case r == auth.Clerk && len(units) == 0:
		return usagef("cán bộ một cửa cần ít nhất một --unit MÃ (a clerk needs at least one --unit CODE)")
	case r != auth.Clerk && len(units) > 0:
		return usagef("chỉ vai trò clerk có --unit; vai trò %s thấy mọi đơn vị (only a clerk has --unit: %s sees every unit)", r, r)
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := checkUnits(ctx, db, units); err != nil {
		return err
	}
	var hash string
	if !*noPassword {
		pw, err := readPassword(e, *fromStdin)
		if err != nil {
			return err
		}
		if hash, err = auth.HashPassword(pw); err != nil {
			return err
		}
	}
	details, _ := json.Marshal(map[string]any{"user": name, "role": r, "units": units, "password": hash != ""})
	err = db.AddUser(ctx, sqlite.User{Name: name, Role: string(r), Units: units, PasswordHash: hash},
		catalog.Event{Actor: actorName(*actor), Action: actionUserAdd, Details: string(details)})
	if errors.Is(err, sqlite.ErrUserExists) {
		return fmt.Errorf("đã có người dùng %q (user %q exists): chọn tên khác, hoặc sohoa users disable %s", name, name, name)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(e.stdout, userRow{Name: name, Role: r, Units: append([]string{}, units...), Password: hash != ""})
	}
	fmt.Fprintf(e.stdout, "Đã thêm / added %s: %s", name, r.Label())
	if len(units) > 0 {
		fmt.Fprintf(e.stdout, ", đơn vị / units %s", strings.Join(units, ", "))
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// checkUserName refuses names that would be hard to type or to tell
// apart in the history.
func checkUserName(name string) error {
	if name == "" || len(name) > 64 || strings.ContainsAny(name, " \t\r\n,:/\\\"'") {
		return usagef("tên người dùng %q không hợp lệ: 1–64 ký tự, không dấu cách, dấu phẩy, hai chấm hay gạch chéo (user name %q: 1 to 64 characters, no spaces, commas, colons or slashes)", name, name)
	}
	return nil
}

// checkUnits makes sure every code is a unit of the catalogue.
func checkUnits(ctx context.Context, db *sqlite.DB, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	units, err := db.Units(ctx, "")
	if err != nil {
		return err
	}
	if len(units) == 0 {
		return errors.New("chưa có danh mục đơn vị (no unit catalogue yet): chạy / run sohoa units import")
	}
	known := map[string]bool{}
	for _, u := range units {
		known[u.Code] = true
	}
	for _, c := range codes {
		if !known[c] {
			return fmt.Errorf("không có đơn vị mã %s (no unit %s): xem / see sohoa units show %s", c, c, c)
		}
	}
	return nil
}

// readPassword reads the new user's password: from stdin's first line,
// or asked twice on the terminal.
func readPassword(e *env, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(usersStdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw == "" {
			return "", usagef("--password-stdin: đầu vào trống (stdin is empty): echo \"$MAT_KHAU\" | sohoa users add …")
		}
		return pw, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", usagef("không có cửa sổ lệnh để hỏi mật khẩu: dùng --password-stdin (no terminal to ask the password on: use --password-stdin)")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(e.stderr, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(e.stderr)
		return string(b), err
	}
	pw, err := ask("Mật khẩu / password: ")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	again, err := ask("Nhập lại / again: ")
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if pw != again {
		return "", errors.New("hai lần nhập mật khẩu khác nhau (the passwords differ): chạy lại / run the command again")
	}
	return pw, nil
}

// userRow is a user as users list --json prints it: never a hash.
type userRow struct {
	Name      string    `json:"name"`
	Role      auth.Role `json:"role"`
	Units     []string  `json:"units"`
	Password  bool      `json:"password"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

func runUsersList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "users list", "[--json]", `
Liệt kê người dùng: tên, vai trò, đơn vị, có mật khẩu không, bị khóa không.
List the users with their roles, units, and whether they have a password or
are disabled.`)
	asJSON := fs.Bool("json", false, "in JSON / print JSON")
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	if pos, err := parseInterspersed(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("users list không nhận đối số %q (takes no arguments)", pos[0])
	}
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := db.Users(ctx)
	if err != nil {
		return err
	}
	rows := make([]userRow, 0, len(users))
	for _, u := range users {
		rows = append(rows, userRow{Name: u.Name, Role: auth.Role(u.Role), Units: append([]string{}, u.Units...),
			Password: u.PasswordHash != "", Disabled: u.Disabled, CreatedAt: u.CreatedAt})
	}
	if *asJSON {
		return writeJSON(e.stdout, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(e.stdout, "Chưa có người dùng (no users): sohoa users add TÊN --role admin")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TÊN/NAME\tVAI TRÒ/ROLE\tĐƠN VỊ/UNITS\tMẬT KHẨU/PASSWORD\tTRẠNG THÁI/STATE")
	for _, r := range rows {
		units, pw, state := strings.Join(r.Units, ","), "có / yes", "hoạt động / active"
		if units == "" {
			units = "mọi đơn vị / all"
		}
		if !r.Password {
			pw = "không / no"
		}
		if r.Disabled {
			state = "đã khóa / disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Role, units, pw, state)
	}
	return tw.Flush()
}

func runUsersToken(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "users token", "TÊN", `
Cấp một mã truy cập API mới cho người dùng và in ra một lần duy nhất (chỉ
bản băm được lưu: mất thì cấp mã khác). Gửi kèm mỗi yêu cầu:
Authorization: Bearer MÃ. Các mã cũ vẫn dùng được đến khi khóa người dùng.
Print a new API token of the user, once (only its hash is stored: if lost,
make another). Send it as Authorization: Bearer TOKEN. Earlier tokens keep
working until the user is disabled.

Ví dụ / example:
  TOKEN=$(sohoa users token may-do)
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/progress`)
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cần đúng một tên người dùng (give exactly one user name)")
	}
	name := pos[0]
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	token := auth.NewToken()
	hash := auth.HashSecret(token)
	details, _ := json.Marshal(map[string]any{"user": name, "token_sha256_prefix": hash[:12]})
	err = db.AddToken(ctx, name, hash, catalog.Event{Actor: actorName(*actor), Action: actionUserToken, Details: string(details)})
	if errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("không có người dùng %q đang hoạt động (no active user %q): xem / see sohoa users list", name, name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, token)
	return nil
}

func runUsersDisable(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "users disable", "TÊN", `
Khóa người dùng: không đăng nhập được nữa, các phiên đang mở và mã API bị
hủy. Người dùng không bị xóa: lịch sử vẫn ghi tên họ.
Disable a user: no more sign-in, open sessions end and API tokens are
revoked. The user is not deleted: the history still names them.

Ví dụ / example:
  sohoa users disable lan`)
	data := fs.String("data", "", "thư mục dữ liệu / data folder")
	actor := fs.String("actor", "", "người thực hiện / who does it (default: $USER)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("cần đúng một tên người dùng (give exactly one user name)")
	}
	name := pos[0]
	db, err := e.openCatalog(ctx, *data)
	if err != nil {
		return err
	}
	defer db.Close()
	details, _ := json.Marshal(map[string]any{"user": name})
	err = db.DisableUser(ctx, name, catalog.Event{Actor: actorName(*actor), Action: actionUserDisable, Details: string(details)})
	if errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("không có người dùng %q (no user %q): xem / see sohoa users list", name, name)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Đã khóa / disabled %s\n", name)
	return nil
}

// serveAuth is serve's sign-in over the catalog's users. With no user
// yet, serve shows the read-only view to this machine alone: it refuses
// an address other than loopback and says how to add an admin.
func serveAuth(ctx context.Context, e *env, db *sqlite.DB, addr string) (*auth.Authenticator, error) {
	a := auth.New(catalogstore.New(db), auth.Options{})
	open, err := a.Open(ctx)
	if err != nil {
		return nil, err
	}
	if !open {
		return a, nil
	}
	if !loopbackAddr(addr) {
		return nil, fmt.Errorf("chưa có người dùng nào, nên không mở trang ra mạng ở %s (no users yet, so serve will not listen on %s): "+
			"tạo quản trị bằng / add an admin with sohoa users add TÊN --role admin, hoặc nghe ở / or listen on 127.0.0.1", addr, addr)
	}
	fmt.Fprintln(e.stdout, "Chưa có người dùng: trang chỉ để xem, chỉ trên máy này. Tạo quản trị: sohoa users add TÊN --role admin")
	fmt.Fprintln(e.stdout, "No users yet: the pages are read-only, on this machine only. Add an admin: sohoa users add NAME --role admin")
	return a, nil
}

// loopbackAddr reports whether a listen address is this machine only.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
