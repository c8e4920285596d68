import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditModule } from '../audit/audit.module';
import { AppConfig } from '../config/app-config';
import { Transactions } from '../database/transactions';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { LoginAttempts } from './login-attempts';
import { RolesGuard } from './roles.guard';
import { SharedLoginAttempts } from './shared-login-attempts';
import { tokenSecret } from './token-secret';

@Module({
  imports: [
    AuditModule,
    UsersModule,
    JwtModule.registerAsync({
      inject: [AppConfig, getDataSourceToken()],
      useFactory: async (config: AppConfig, dataSource: DataSource) => ({
        secret: await tokenSecret(config, dataSource),
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    AuthGuard,
    RolesGuard,
    {
      // Several instances may share PostgreSQL: their limiter counts in the database.
      provide: LoginAttempts,
      inject: [AppConfig, Transactions],
      useFactory: (config: AppConfig, transactions: Transactions) =>
        transactions.isPostgres ? new SharedLoginAttempts(config, transactions) : new LoginAttempts(config),
    },
  ],
  exports: [AuthService, AuthGuard, RolesGuard],
})
export class AuthModule {}
