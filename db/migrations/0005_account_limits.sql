CREATE TABLE `sign_in_attempts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`email` text NOT NULL,
	`attempted_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sign_in_attempts_email_idx` ON `sign_in_attempts` (`email`,`attempted_at`);--> statement-breakpoint
CREATE INDEX `sign_in_attempts_time_idx` ON `sign_in_attempts` (`attempted_at`);--> statement-breakpoint
ALTER TABLE `invites` ADD `failed_attempts` integer DEFAULT 0 NOT NULL;