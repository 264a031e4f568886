# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_keyadm_global_optspecs
    string join \n database-url= schema= o/format= json y/yes no-input connect-timeout= statement-timeout= actor= color= q/quiet h/help V/version
end

function __fish_keyadm_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_keyadm_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_keyadm_using_subcommand
    set -l cmd (__fish_keyadm_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c keyadm -n "__fish_keyadm_needs_command" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_needs_command" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_needs_command" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_needs_command" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_needs_command" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_needs_command" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_needs_command" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_needs_command" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_needs_command" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_needs_command" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_needs_command" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_needs_command" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "init" -d 'Create the schema and apply migrations (idempotent)'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "create" -d 'Make a key and print its secret once'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "list" -d 'List keys, newest first'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "show" -d 'Show one key, its rotation chain and its recent events'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "revoke" -d 'Revoke keys now'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "rotate" -d 'Replace a key with a new one, keeping the old one valid for a grace period'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "check" -d 'Verify a secret (read from stdin by default), or one per line with --batch'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "expire" -d 'Cron job: make old or unused keys expire (after a grace period)'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "prune" -d 'Cron job: delete keys dead for a while (their events stay)'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "audit" -d 'The event log, newest first'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "update" -d 'Change a live key\'s name, scopes, metadata or expiry'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "doctor" -d 'Check the connection, TLS, pooler, schema version and privileges'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c keyadm -n "__fish_keyadm_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l grant-verify -d 'Let this existing role call verify_key, verify_key_hash and record_key_use (and nothing else)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l status -d 'List applied and pending migrations; change nothing'
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand init" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l org -d 'Organisation (tenant) owning the key; asked for on a terminal when missing' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l name -d 'Name of the key, unique among the org\'s live keys; asked for on a terminal when missing' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l scope -d 'A scope granted to the key (repeatable)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l meta -d 'Metadata KEY=VALUE (repeatable, one value per key)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l expires-in -d 'Expire this long after creation (e.g. 90d)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l expires-at -d 'Expire at this time (RFC 3339 or YYYY-MM-DD, midnight UTC)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l prefix -d 'Secret prefix: a lowercase letter, then up to 15 of a-z, 0-9 and _' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l secret-file -d 'Write the secret to this new file (mode 0600) instead of printing it' -r -F
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l count -d 'Create N keys at once, named NAME-1 to NAME-N, all or none (secrets one per line)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand create" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l org -d 'Only this organisation\'s keys' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l status -d 'Which keys to show' -r -f -a "active\t''
expired\t''
revoked\t''
all\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l expiring-within -d 'Only keys that expire within this long (e.g. 7d)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l limit -d 'At most this many keys' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand list" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l org -d 'Narrow a KEY given by name to this organisation' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand show" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l reason -d 'Why (recorded in the key and the audit log)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l org -d 'The organisation: narrows names, or with --all selects every key to revoke' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l all -d 'Revoke every unrevoked key of --org'
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand revoke" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l org -d 'Narrow a KEY given by name to this organisation' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l grace -d 'How long the old key stays valid (never longer than its current expiry)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l expires-in -d 'Expire this long after creation (e.g. 90d)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l expires-at -d 'Expire at this time (RFC 3339 or YYYY-MM-DD, midnight UTC)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l secret-file -d 'Write the new secret to this new file (mode 0600) instead of printing it' -r -F
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand rotate" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l expiring-within -d 'Also fail a valid key that expires within this long' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l batch -d 'Read one secret per line from stdin; write one result per line, in order'
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand check" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l older-than -d 'Expire active keys created more than this long ago' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l unused-for -d 'Expire active keys not used (by last_used_at, else created_at) for this long' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l org -d 'Only this organisation\'s keys' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l grace -d 'Let the keys work this much longer before they expire' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l dry-run -d 'Show what would expire; change nothing'
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand expire" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l dead-for -d 'Delete keys revoked or expired more than this long ago' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l org -d 'Only this organisation\'s keys' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l dry-run -d 'Show what would be deleted; change nothing'
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand prune" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l org -d 'Only this organisation\'s events' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l since -d 'Only events since this long ago (7d) or this time (2026-12-01)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l limit -d 'At most this many events' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand audit" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l org -d 'Narrow a KEY given by name to this organisation' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l name -d 'New name' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l add-scope -d 'Grant a scope (repeatable)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l remove-scope -d 'Withdraw a scope (repeatable)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l meta -d 'Set metadata KEY=VALUE (repeatable, one value per key)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l unset-meta -d 'Remove a metadata key (repeatable)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l expires-in -d 'Expire this long from now' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l expires-at -d 'Expire at this time' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l no-expiry -d 'Never expire'
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand update" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -l database-url -d 'PostgreSQL URL or libpq key=value string (also KEYADM_DATABASE_URL, then DATABASE_URL)' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -l schema -d 'Schema holding keyadm\'s tables' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -s o -l format -d 'Output format' -r -f -a "table\t'Tables for people'
json\t'JSON for scripts'"
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -l connect-timeout -d 'Give up connecting after this long; 0s waits without limit [default: 10s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -l statement-timeout -d 'Cancel any statement running longer than this; 0s: no limit [default: the server\'s]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -l actor -d 'Who is acting, as recorded in the audit log [default: the OS user]' -r
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -l color -d 'When to use colour (NO_COLOR is honoured)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -l json -d 'Same as --format json'
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -s y -l yes -d 'Answer yes to confirmations (required without a terminal)'
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -l no-input -d 'Never prompt, even on a terminal'
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -s q -l quiet -d 'Print only what was asked for: no notes, warnings or progress'
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c keyadm -n "__fish_keyadm_using_subcommand completions" -s V -l version -d 'Print version'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "init" -d 'Create the schema and apply migrations (idempotent)'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "create" -d 'Make a key and print its secret once'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "list" -d 'List keys, newest first'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "show" -d 'Show one key, its rotation chain and its recent events'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "revoke" -d 'Revoke keys now'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "rotate" -d 'Replace a key with a new one, keeping the old one valid for a grace period'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "check" -d 'Verify a secret (read from stdin by default), or one per line with --batch'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "expire" -d 'Cron job: make old or unused keys expire (after a grace period)'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "prune" -d 'Cron job: delete keys dead for a while (their events stay)'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "audit" -d 'The event log, newest first'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "update" -d 'Change a live key\'s name, scopes, metadata or expiry'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "doctor" -d 'Check the connection, TLS, pooler, schema version and privileges'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c keyadm -n "__fish_keyadm_using_subcommand help; and not __fish_seen_subcommand_from init create list show revoke rotate check expire prune audit update doctor completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
