import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { ROLES, type Role, type UpdateUserRequest, type UserDto } from '@rpi-deploy/contracts';
import { filter } from 'rxjs';
import { UsersApi } from '../api/users-api';
import { AuthService } from '../auth/auth.service';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { Notice } from '../shared/notice';
import { SetPasswordDialog } from './set-password-dialog';
import { UserForm } from './user-form';

/** Users and their roles, for admins: create, change role, disable, set a password. */
@Component({
  selector: 'app-users-panel',
  imports: [DatePipe, MatButtonModule, MatFormFieldModule, MatSelectModule, MatTableModule, Notice, UserForm],
  templateUrl: './users-panel.html',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class UsersPanel {
  private readonly api = inject(UsersApi);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  protected readonly me = inject(AuthService).user;
  protected readonly roles = ROLES;
  protected readonly users = new Loadable<UserDto[]>(() => this.api.list(), []);
  /** Why the last change of a role or of the enabled state failed. */
  protected readonly actionError = signal<string | null>(null);
  protected readonly columns = ['username', 'role', 'state', 'lastLoginAt', 'actions'];

  constructor() {
    this.users.reload();
  }

  protected created(user: UserDto): void {
    this.snackBar.open(`User ${user.username} created`, 'OK', { duration: 4000 });
    this.users.reload();
  }

  protected setRole(user: UserDto, role: Role): void {
    this.update(user, { role }, `${user.username} is now ${role}`);
  }

  protected toggleDisabled(user: UserDto): void {
    this.update(user, { disabled: !user.disabled }, `${user.username} ${user.disabled ? 'enabled' : 'disabled'}`);
  }

  protected setPassword(user: UserDto): void {
    this.dialog
      .open<SetPasswordDialog, string, boolean>(SetPasswordDialog, { data: user.username, width: '440px' })
      .afterClosed()
      .pipe(filter((done) => done === true))
      .subscribe(() => this.snackBar.open(`Password of ${user.username} changed`, 'OK', { duration: 4000 }));
  }

  private update(user: UserDto, change: UpdateUserRequest, done: string): void {
    this.api.update(user.username, change).subscribe({
      next: (updated) => {
        this.actionError.set(null);
        this.users.update((users) => users.map((each) => (each.username === updated.username ? updated : each)));
        this.snackBar.open(done, 'OK', { duration: 4000 });
      },
      error: (error: unknown) => {
        this.actionError.set(apiErrorMessage(error));
        // New row objects re-render the rows, which puts the role select back to what the server holds.
        this.users.update((users) => users.map((each) => ({ ...each })));
      },
    });
  }
}
