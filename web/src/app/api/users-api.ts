import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { CreateUserRequest, SetPasswordRequest, UpdateUserRequest, UserDto } from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** Users and roles (`/api/users`, admins only). */
@Injectable({ providedIn: 'root' })
export class UsersApi {
  private readonly http = inject(HttpClient);

  list(): Observable<UserDto[]> {
    return this.http.get<UserDto[]>('/api/users');
  }

  create(body: CreateUserRequest): Observable<UserDto> {
    return this.http.post<UserDto>('/api/users', body);
  }

  update(username: string, body: UpdateUserRequest): Observable<UserDto> {
    return this.http.patch<UserDto>(`/api/users/${encodeURIComponent(username)}`, body);
  }

  setPassword(username: string, password: string): Observable<UserDto> {
    const body: SetPasswordRequest = { password };
    return this.http.post<UserDto>(`/api/users/${encodeURIComponent(username)}/password`, body);
  }
}
