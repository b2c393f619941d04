package clickhouse

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/lapor/lapor/services/shared/config"
)

// MigrateCommand is the `migrate` subcommand of every Lapor binary (web, worker,
// detector): it applies the schema to the ClickHouse that c names, on one
// node or laid out over c's cluster, and says on stdout how many
// migrations it applied.
func MigrateCommand(ctx context.Context, c config.Common, log *slog.Logger, stdout io.Writer) error {
	conn, err := Open(ctx, c)
	if err != nil {
		return err
	}
	defer conn.Close()
	applied, err := Migrate(ctx, conn, log)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	log.Info("migrations up to date", "applied", len(applied))
	fmt.Fprintf(stdout, "applied %d migrations\n", len(applied))
	return nil
}
