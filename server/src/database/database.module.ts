import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { ClusterSignals } from './cluster-signals';
import { openDataSource } from './migrate-under-lock';
import { Transactions } from './transactions';
import { typeOrmOptions } from './typeorm-options';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => typeOrmOptions(config),
      dataSourceFactory: (options) => openDataSource(options!),
    }),
  ],
  providers: [Transactions, ClusterSignals],
  exports: [Transactions, ClusterSignals],
})
export class DatabaseModule {}
