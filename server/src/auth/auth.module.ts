import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AuditModule } from '../audit/audit.module';
import { AppConfig } from '../config/app-config';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { LoginAttempts } from './login-attempts';
import { RolesGuard } from './roles.guard';
import { tokenSecret } from './token-secret';

@Module({
  imports: [
    AuditModule,
    UsersModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ secret: tokenSecret(config) }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, AuthGuard, RolesGuard, LoginAttempts],
  exports: [AuthService, AuthGuard, RolesGuard],
})
export class AuthModule {}
